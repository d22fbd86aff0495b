// file, directory and file_permissions against a temporary root.
#include "engine_test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::gc::test {
namespace {

using nlohmann::json;
constexpr auto kAudit = AssignmentType::kAudit;
constexpr auto kAutoCorrect = AssignmentType::kApplyAndAutoCorrect;
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

} // namespace
} // namespace azcm::gc::test
