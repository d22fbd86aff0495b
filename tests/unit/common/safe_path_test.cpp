// platform::SafeDirectory: the walk's rules on their own (the guest-configuration file resources
// test them end to end).
#include "common/platform/safe_path.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::platform {
namespace {

namespace stdfs = std::filesystem;

class SafePathTest : public ::testing::Test {
protected:
    stdfs::path make(const std::string& relative, stdfs::perms mode = stdfs::perms(0755)) {
        auto path = dir.path() / relative;
        stdfs::create_directories(path);
        stdfs::permissions(path, mode);
        return path;
    }
    test::TempDir dir;
};

TEST_F(SafePathTest, PathStatusDescribesALinkItselfAndNothingForAMissingPath) {
    const auto target = make("real", stdfs::perms(0750));
    stdfs::create_symlink(target, dir.path() / "link");
    const auto link = pathStatus(dir.path() / "link");
    ASSERT_TRUE(link && link.value());
    EXPECT_EQ(link.value()->kind, EntryKind::kSymlink);
    const auto real = pathStatus(target);
    ASSERT_TRUE(real && real.value());
    EXPECT_EQ(real.value()->kind, EntryKind::kDirectory);
    EXPECT_EQ(real.value()->mode, 0750U);
    EXPECT_EQ(real.value()->uid, ::geteuid());
    const auto missing = pathStatus(dir.path() / "missing");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing.value());
}

TEST_F(SafePathTest, OpensRealDirectoriesAndReportsMissingOnes) {
    make("etc/ssh");
    auto found = SafeDirectory::open(dir.path(), "etc/ssh");
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found.value());
    EXPECT_EQ(found.value()->shownPath(), "/etc/ssh");
    EXPECT_FALSE(found.value()->writableByOthers());
    auto missing = SafeDirectory::open(dir.path(), "etc/nothing/here");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing.value());
    EXPECT_FALSE(SafeDirectory::open(dir.path(), "etc/../etc"));
}

TEST_F(SafePathTest, LinkTargetsNeverRiseAboveTheRoot) {
    make("usr/bin");
    // "../../../../usr" from /opt/tools climbs past the root: it stays at the root instead.
    make("opt");
    stdfs::create_symlink("../../../../usr", dir.path() / "opt/tools");
    auto found = SafeDirectory::open(dir.path(), "opt/tools/bin");
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found.value());
    EXPECT_EQ(found.value()->shownPath(), "/usr/bin");
}

TEST_F(SafePathTest, ALoopOfLinksIsRefused) {
    stdfs::create_symlink("b", dir.path() / "a");
    stdfs::create_symlink("a", dir.path() / "b");
    auto found = SafeDirectory::open(dir.path(), "a/x");
    ASSERT_FALSE(found);
    EXPECT_NE(found.error().message.find("too many levels of symbolic links"), std::string::npos)
        << found.error().message;
}

TEST_F(SafePathTest, ALinkInADirectoryOthersCanWriteIsRefusedAndNamed) {
    make("etc");
    make("tmp", stdfs::perms(01777));
    stdfs::permissions(dir.path() / "tmp", stdfs::perms(01777)); // past the umask
    stdfs::create_symlink("../etc", dir.path() / "tmp/conf");
    auto found = SafeDirectory::open(dir.path(), "tmp/conf");
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().message, "/tmp/conf: a symbolic link in /tmp, which an account other "
                                     "than root can write; not followed");
    // The directory itself may be walked through: what is in it is reached by descriptor.
    auto tmp = SafeDirectory::open(dir.path(), "tmp");
    ASSERT_TRUE(tmp && tmp.value());
    EXPECT_TRUE(tmp.value()->writableByOthers());
}

TEST_F(SafePathTest, CreatesMissingDirectoriesWithTheirModes) {
    auto made = SafeDirectory::openOrCreate(dir.path(), "srv/app/data", {0755, {}}, {0750, {}});
    ASSERT_TRUE(made) << made.error().message;
    EXPECT_EQ(stdfs::status(dir.path() / "srv/app").permissions(), stdfs::perms(0755));
    EXPECT_EQ(stdfs::status(dir.path() / "srv/app/data").permissions(), stdfs::perms(0750));
}

TEST_F(SafePathTest, EntriesMatchLikeGlobAndEntriesAreOpenedWithoutFollowing) {
    auto keys = make("keys");
    for (const char* name : {"a.key", "b.key", ".hidden.key", "c.crt"}) {
        std::ofstream(keys / name) << "k";
    }
    stdfs::create_symlink("/etc/shadow", keys / "link.key");
    auto found = SafeDirectory::open(dir.path(), "keys");
    ASSERT_TRUE(found && found.value());
    const SafeDirectory& d = *found.value();
    EXPECT_EQ(d.entriesMatching("*.key").value(),
              (std::vector<std::string>{"a.key", "b.key", "link.key"}));
    EXPECT_EQ(d.entriesMatching(".*.key").value(), (std::vector<std::string>{".hidden.key"}));
    EXPECT_EQ(d.status("link.key").value()->kind, EntryKind::kSymlink);
    auto link = d.openEntry("link.key");
    ASSERT_FALSE(link);
    EXPECT_EQ(link.error().message, "/keys/link.key: it is a symbolic link");
    auto key = d.openEntry("a.key");
    ASSERT_TRUE(key);
    EXPECT_EQ(key.value().read(100).value(), "k");
}

TEST_F(SafePathTest, TreeRemovalUnlinksLinksAndNeverEntersThem) {
    auto outside = make("outside");
    std::ofstream(outside / "keep") << "keep";
    make("tree/a/b/c");
    std::ofstream(dir.path() / "tree/a/b/c/file") << "x";
    stdfs::create_symlink(outside, dir.path() / "tree/a/link");
    auto root = SafeDirectory::open(dir.path(), "");
    ASSERT_TRUE(root && root.value());
    ASSERT_TRUE(root.value()->removeDirectory("tree", true));
    EXPECT_FALSE(stdfs::exists(dir.path() / "tree"));
    EXPECT_TRUE(stdfs::exists(outside / "keep"));
    EXPECT_FALSE(root.value()->removeDirectory("outside", false)); // not empty, not recursive
}

} // namespace
} // namespace azcm::platform
