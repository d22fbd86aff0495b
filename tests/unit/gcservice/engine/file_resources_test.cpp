// file, directory and file_permissions against a temporary root.
#include "engine_test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::gcservice::test {
namespace {

using nlohmann::json;
constexpr auto kMonitor = AssignmentType::kApplyAndMonitor;

class FileResourcesTest : public ::testing::Test {
protected:
    FileResourcesTest() {
        backend.users["nobody"] = UserInfo{65534, 65534, {"nogroup"}};
        backend.groups["nogroup"] = GroupInfo{65534, {}};
    }
    Sandbox sandbox;
    FakeBackend backend;
};

TEST_F(FileResourcesTest, FileCompliantWhenContentAndModeMatch) {
    sandbox.write("/etc/motd", "hello\n", 0600);
    auto r = evaluateOne("file",
                         {{"path", "/etc/motd"},
                          {"content", "hello\n"},
                          {"mode", "0600"},
                          {"owner", "root"},
                          {"group", "root"}},
                         kAudit, backend, sandbox.context);
    EXPECT_TRUE(r.compliant) << r.reason;
    EXPECT_EQ(r.reason, "/etc/motd is as expected");
}

TEST_F(FileResourcesTest, FileNonCompliantReasonsNameModeContentAndOwner) {
    sandbox.write("/etc/motd", "hi\n", 0644);
    auto r = evaluateOne(
        "file",
        {{"path", "/etc/motd"}, {"content", "hello\n"}, {"mode", "0600"}, {"owner", "nobody"}},
        kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.reason, "/etc/motd: content differs (3 bytes, expected 6 bytes); mode is 0644, "
                        "expected 0600; owner is uid 0, expected nobody (uid 65534)");
    // Audit changed nothing.
    EXPECT_EQ(sandbox.read("/etc/motd"), "hi\n");
    EXPECT_EQ(modeOf(sandbox.at("/etc/motd")), 0644U);
    EXPECT_FALSE(r.remediated);
}

TEST_F(FileResourcesTest, FileMissingIsCreatedWithItsModeByAutoCorrect) {
    auto r = evaluateOne("file",
                         {{"path", "/etc/app/key.conf"},
                          {"content", "secret"},
                          {"mode", "0600"},
                          {"owner", "nobody"}},
                         kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(r.compliant) << r.reason << r.error;
    EXPECT_TRUE(r.remediated);
    EXPECT_EQ(sandbox.read("/etc/app/key.conf"), "secret");
    EXPECT_EQ(modeOf(sandbox.at("/etc/app/key.conf")), 0600U);
    struct stat st {};
    ASSERT_EQ(::stat(sandbox.at("/etc/app/key.conf").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 65534U);
}

TEST_F(FileResourcesTest, FileMissingNonCompliantInAudit) {
    auto r = evaluateOne("file", {{"path", "/etc/app.conf"}}, kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.reason, "/etc/app.conf does not exist");
    EXPECT_FALSE(std::filesystem::exists(sandbox.at("/etc/app.conf")));
}

TEST_F(FileResourcesTest, FileAbsentRemovedByAutoCorrectNotByAudit) {
    sandbox.write("/etc/hosts.equiv", "+\n");
    json props = {{"path", "/etc/hosts.equiv"}, {"ensure", "absent"}};
    auto audit = evaluateOne("file", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(audit.compliant);
    EXPECT_EQ(audit.reason, "/etc/hosts.equiv exists, expected absent");
    EXPECT_TRUE(std::filesystem::exists(sandbox.at("/etc/hosts.equiv")));
    auto fixed = evaluateOne("file", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(fixed.remediated);
    EXPECT_FALSE(std::filesystem::exists(sandbox.at("/etc/hosts.equiv")));
}

TEST_F(FileResourcesTest, FileThatIsASymlinkIsReplacedNotFollowed) {
    auto target = sandbox.write("/outside/target", "keep", 0644);
    std::filesystem::create_directories(sandbox.at("/etc"));
    std::filesystem::create_symlink(target, sandbox.at("/etc/link"));
    json props = {{"path", "/etc/link"}, {"content", "new"}, {"mode", "0600"}};
    auto audit = evaluateOne("file", props, kAudit, backend, sandbox.context);
    EXPECT_EQ(audit.reason, "/etc/link is a symbolic link, expected a regular file");
    auto fixed = evaluateOne("file", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(fixed.compliant) << fixed.reason << fixed.error;
    EXPECT_EQ(sandbox.read("/outside/target"), "keep");
    EXPECT_FALSE(std::filesystem::is_symlink(sandbox.at("/etc/link")));
}

TEST_F(FileResourcesTest, FileModeOnlyChangeKeepsContent) {
    sandbox.write("/etc/shadow-like", "data", 0644);
    auto r = evaluateOne("file", {{"path", "/etc/shadow-like"}, {"mode", "0640"}}, kAutoCorrect,
                         backend, sandbox.context);
    EXPECT_TRUE(r.remediated);
    EXPECT_EQ(sandbox.read("/etc/shadow-like"), "data");
    EXPECT_EQ(modeOf(sandbox.at("/etc/shadow-like")), 0640U);
}

TEST_F(FileResourcesTest, ApplyAndMonitorAppliesOnceThenOnlyReportsDrift) {
    json props = {{"path", "/etc/app.conf"}, {"content", "v1"}, {"mode", "0600"}};
    auto first = evaluateOne("file", props, kMonitor, backend, sandbox.context, true);
    EXPECT_TRUE(first.remediated);
    EXPECT_EQ(sandbox.read("/etc/app.conf"), "v1");
    // Someone changes the file: the next evaluations report the drift and leave it.
    ::chmod(sandbox.at("/etc/app.conf").c_str(), 0666);
    auto later = evaluateOne("file", props, kMonitor, backend, sandbox.context, false);
    EXPECT_FALSE(later.compliant);
    EXPECT_FALSE(later.remediated);
    EXPECT_EQ(later.reason, "/etc/app.conf: mode is 0666, expected 0600");
    EXPECT_EQ(modeOf(sandbox.at("/etc/app.conf")), 0666U);
}

TEST_F(FileResourcesTest, UnknownOwnerIsAnErrorNotCompliance) {
    sandbox.write("/etc/x", "");
    auto r = evaluateOne("file", {{"path", "/etc/x"}, {"owner", "ghost"}}, kAudit, backend,
                         sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.error, "test failed: owner ghost does not exist");
}

TEST_F(FileResourcesTest, DirectoryCompliantNonCompliantAndFixed) {
    sandbox.mkdir("/var/opt/app", 0755);
    json props = {{"path", "/var/opt/app"}, {"mode", "0700"}, {"owner", "root"}};
    auto audit = evaluateOne("directory", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(audit.compliant);
    EXPECT_EQ(audit.reason, "/var/opt/app: mode is 0755, expected 0700");
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/app")), 0755U);
    auto fixed = evaluateOne("directory", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(fixed.remediated);
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/app")), 0700U);
    auto again = evaluateOne("directory", props, kAudit, backend, sandbox.context);
    EXPECT_TRUE(again.compliant);
    EXPECT_EQ(again.reason, "/var/opt/app is as expected");
}

TEST_F(FileResourcesTest, DirectoryMissingCreatedWithMode) {
    json props = {{"path", "/srv/data"}, {"mode", "0750"}};
    auto audit = evaluateOne("directory", props, kAudit, backend, sandbox.context);
    EXPECT_EQ(audit.reason, "/srv/data does not exist");
    EXPECT_FALSE(std::filesystem::exists(sandbox.at("/srv/data")));
    auto fixed = evaluateOne("directory", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(fixed.remediated) << fixed.error;
    EXPECT_EQ(modeOf(sandbox.at("/srv/data")), 0750U);
}

TEST_F(FileResourcesTest, DirectoryAbsentNeedsRecurseForContent) {
    sandbox.write("/srv/old/file", "x");
    auto refused = evaluateOne("directory", {{"path", "/srv/old"}, {"ensure", "absent"}},
                               kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(refused.compliant);
    EXPECT_NE(refused.error.find("set recurse to remove content"), std::string::npos)
        << refused.error;
    auto removed =
        evaluateOne("directory", {{"path", "/srv/old"}, {"ensure", "absent"}, {"recurse", true}},
                    kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(removed.remediated);
    EXPECT_FALSE(std::filesystem::exists(sandbox.at("/srv/old")));
}

TEST_F(FileResourcesTest, FilePermissionsChecksEveryMatchAndNarrowsModes) {
    sandbox.write("/var/opt/azcmagent/certs/a.key", "k", 0644);
    sandbox.write("/var/opt/azcmagent/certs/b.key", "k", 0400);
    sandbox.write("/var/opt/azcmagent/certs/c.crt", "c", 0644);
    json props = {{"path", "/var/opt/azcmagent/certs/*.key"}, {"mode_max", "0600"}};
    auto audit = evaluateOne("file_permissions", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(audit.compliant);
    EXPECT_EQ(audit.reason, "/var/opt/azcmagent/certs/a.key: mode is 0644, expected at most 0600");
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/azcmagent/certs/a.key")), 0644U);
    auto fixed = evaluateOne("file_permissions", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(fixed.remediated) << fixed.error;
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/azcmagent/certs/a.key")), 0600U);
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/azcmagent/certs/b.key")), 0400U); // already stricter
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/azcmagent/certs/c.crt")), 0644U); // not matched
    EXPECT_EQ(fixed.reason, "2 file(s) matching /var/opt/azcmagent/certs/*.key are as expected");
}

TEST_F(FileResourcesTest, FilePermissionsWithoutMatchIsCompliant) {
    auto r = evaluateOne("file_permissions",
                         {{"path", "/var/opt/azcmagent/certs/*.key"}, {"mode_max", "0600"}}, kAudit,
                         backend, sandbox.context);
    EXPECT_TRUE(r.compliant);
    EXPECT_EQ(r.reason, "no file matches /var/opt/azcmagent/certs/*.key");
}

// ---- paths through directories other accounts control
// --------------------------------------------

struct Victim {
    std::string content;
    mode_t mode = 0;
    uid_t uid = 0;
};

Victim victimOf(const Sandbox& sandbox, const std::string& absolute) {
    struct stat st {};
    ::lstat(sandbox.at(absolute).c_str(), &st);
    return {sandbox.read(absolute), st.st_mode & 07777, st.st_uid};
}

void expectUntouched(const Sandbox& sandbox, const std::string& absolute, const Victim& before) {
    const auto after = victimOf(sandbox, absolute);
    EXPECT_EQ(after.content, before.content) << absolute;
    EXPECT_EQ(after.mode, before.mode) << absolute;
    EXPECT_EQ(after.uid, before.uid) << absolute;
}

// Another account's home with ".ssh -> ../../etc" (it may point anywhere; relative here so that
// even a following implementation stays inside the sandbox). The file, directory and
// file_permissions types refuse it, name the link and its owner, and change nothing in /etc.
TEST_F(FileResourcesTest, ASymlinkInAnotherAccountsDirectoryIsRefusedAndEtcUntouched) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "giving the directory to another uid needs root (CI runs as root)";
    }
    sandbox.write("/etc/shadow", "root:$6$secret:19000::::::\n", 0600);
    const auto before = victimOf(sandbox, "/etc/shadow");
    const auto home = sandbox.mkdir("/home/alice", 0755);
    const auto link = home / ".ssh";
    std::filesystem::create_symlink("../../etc", link);
    ASSERT_EQ(::lchown(link.c_str(), 65534, 65534), 0);
    ASSERT_EQ(::chown(home.c_str(), 65534, 65534), 0);

    json file = {{"path", "/home/alice/.ssh/shadow"}, {"mode", "0644"}, {"owner", "nobody"}};
    auto audit = evaluateOne("file", file, kAudit, backend, sandbox.context);
    EXPECT_FALSE(audit.compliant);
    EXPECT_EQ(audit.reason, "/home/alice/.ssh/shadow cannot be reached safely: /home/alice/.ssh: "
                            "a symbolic link owned by uid 65534, not followed (only root's links "
                            "are)");
    auto fixed = evaluateOne("file", file, kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(fixed.compliant);
    EXPECT_FALSE(fixed.remediated);
    EXPECT_NE(fixed.error.find("/home/alice/.ssh: a symbolic link owned by uid 65534"),
              std::string::npos)
        << fixed.error;
    auto with_content = evaluateOne("file", {{"path", "/home/alice/.ssh/shadow"}, {"content", "x"}},
                                    kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(with_content.compliant);

    auto permissions =
        evaluateOne("file_permissions", {{"path", "/home/alice/.ssh/*"}, {"owner", "nobody"}},
                    kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(permissions.compliant);
    auto directory = evaluateOne("directory", {{"path", "/home/alice/.ssh/keys"}, {"mode", "0777"}},
                                 kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(directory.compliant);
    EXPECT_FALSE(std::filesystem::exists(sandbox.at("/etc/keys")));
    auto absent = evaluateOne("file", {{"path", "/home/alice/.ssh/shadow"}, {"ensure", "absent"}},
                              kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(absent.compliant);

    expectUntouched(sandbox, "/etc/shadow", before);
}

// Even root's own link is not followed when it sits in a directory another account can write:
// that account could have swapped it (or hard-linked a root link from elsewhere).
TEST_F(FileResourcesTest, ARootLinkInADirectoryAnotherAccountOwnsIsRefused) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "giving the directory to another uid needs root (CI runs as root)";
    }
    sandbox.write("/etc/motd", "hello\n", 0644);
    const auto before = victimOf(sandbox, "/etc/motd");
    const auto home = sandbox.mkdir("/home/bob", 0755);
    std::filesystem::create_symlink("../../etc", home / "conf");
    ASSERT_EQ(::chown(home.c_str(), 65534, 65534), 0);
    auto r = evaluateOne("file", {{"path", "/home/bob/conf/motd"}, {"content", "owned\n"}},
                         kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_NE(r.reason.find("/home/bob/conf: a symbolic link in /home/bob, which an account other "
                            "than root can write; not followed"),
              std::string::npos)
        << r.reason;
    expectUntouched(sandbox, "/etc/motd", before);
}

// Without root: a directory that any local user may write (mode 0777, as a careless /srv/shared)
// holds a link to /etc. Anyone could have put it there, so it is not followed.
TEST_F(FileResourcesTest, ASymlinkInAWorldWritableDirectoryIsRefused) {
    sandbox.write("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
    const auto before = victimOf(sandbox, "/etc/passwd");
    const auto shared = sandbox.mkdir("/srv/shared", 0777);
    std::filesystem::create_symlink("../../etc", shared / "etc");
    json props = {{"path", "/srv/shared/etc/passwd"}, {"content", "evil::0:0::/:/bin/sh\n"}};
    auto audit = evaluateOne("file", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(audit.compliant);
    EXPECT_NE(audit.reason.find("/srv/shared/etc: a symbolic link in /srv/shared, which an account "
                                "other than root can write; not followed"),
              std::string::npos)
        << audit.reason;
    auto fixed = evaluateOne("file", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(fixed.compliant);
    auto narrowed =
        evaluateOne("file_permissions", {{"path", "/srv/shared/etc/passwd"}, {"mode_max", "0600"}},
                    kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(narrowed.compliant);
    expectUntouched(sandbox, "/etc/passwd", before);
}

// A merged-/usr system: "/bin -> usr/bin", made by root in a directory only root writes, is
// followed (and so is a link made by the daemon's own account, as in an unprivileged sandbox).
TEST_F(FileResourcesTest, ARootLinkInARootDirectoryIsFollowed) {
    sandbox.mkdir("/usr/bin", 0755);
    std::filesystem::create_symlink("usr/bin", sandbox.at("/bin"));
    auto r = evaluateOne("file", {{"path", "/bin/tool.conf"}, {"content", "x"}, {"mode", "0640"}},
                         kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(r.compliant) << r.reason << r.error;
    EXPECT_EQ(sandbox.read("/usr/bin/tool.conf"), "x");
    EXPECT_EQ(modeOf(sandbox.at("/usr/bin/tool.conf")), 0640U);
    // An absolute target stays inside the root, as the package's paths do.
    std::filesystem::create_symlink("/usr/bin", sandbox.at("/sbin"));
    auto absolute = evaluateOne("file", {{"path", "/sbin/tool.conf"}, {"content", "x"}}, kAudit,
                                backend, sandbox.context);
    EXPECT_TRUE(absolute.compliant) << absolute.reason << absolute.error;
}

// A regular file with a second hard link, in a directory others can write, keeps its owner and
// mode: the other link could be /etc/shadow (where protected_hardlinks is off).
TEST_F(FileResourcesTest, AHardLinkedFileInADirectoryOthersWriteIsNotChanged) {
    sandbox.write("/etc/shadow", "secret\n", 0600);
    const auto before = victimOf(sandbox, "/etc/shadow");
    const auto drop = sandbox.mkdir("/srv/drop", 0777);
    std::filesystem::create_hard_link(sandbox.at("/etc/shadow"), drop / "report.txt");
    auto r = evaluateOne("file", {{"path", "/srv/drop/report.txt"}, {"mode", "0644"}}, kAutoCorrect,
                         backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_NE(r.error.find("has 2 hard links"), std::string::npos) << r.error;
    expectUntouched(sandbox, "/etc/shadow", before);
}

// Removing a tree that holds a link to elsewhere removes the link, never what it points to.
TEST_F(FileResourcesTest, DirectoryRemovalNeverFollowsLinksInside) {
    sandbox.write("/etc/keep", "keep", 0644);
    sandbox.write("/srv/old/a/b/file", "x");
    std::filesystem::create_symlink(sandbox.at("/etc"), sandbox.at("/srv/old/a/etc-link"));
    auto r =
        evaluateOne("directory", {{"path", "/srv/old"}, {"ensure", "absent"}, {"recurse", true}},
                    kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(r.remediated) << r.error;
    EXPECT_FALSE(std::filesystem::exists(sandbox.at("/srv/old")));
    EXPECT_EQ(sandbox.read("/etc/keep"), "keep");
}

} // namespace
} // namespace azcm::gcservice::test
