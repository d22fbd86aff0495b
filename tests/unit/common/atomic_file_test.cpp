#include "common/fs/atomic_file.hpp"
#include "temp_dir.hpp"

#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm {
namespace {

mode_t modeOf(const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
}

TEST(AtomicFileTest, WritesWithFinalModeDespiteUmask) {
    test::TempDir dir;
    auto old_mask = ::umask(077);
    auto path = dir.path() / "config.json";
    ASSERT_TRUE(fs::writeFileAtomic(path, "{}", {0644, {}}));
    ::umask(old_mask);
    EXPECT_EQ(modeOf(path), 0644U);
    EXPECT_EQ(fs::readFile(path).value(), "{}");
}

TEST(AtomicFileTest, ReplacesAndKeepsBackup) {
    test::TempDir dir;
    auto path = dir.path() / "state.json";
    ASSERT_TRUE(fs::writeFileAtomic(path, "one"));
    ASSERT_TRUE(fs::writeFileAtomic(path, "two", {}, true));
    EXPECT_EQ(fs::readFile(path).value(), "two");
    EXPECT_EQ(fs::readFile(dir.path() / "state.json.bak").value(), "one");
    // No temporary files are left behind.
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        ++entries;
    }
    EXPECT_EQ(entries, 2);
}

TEST(AtomicFileTest, CreateExclusiveRefusesExistingFileAndSymlink) {
    test::TempDir dir;
    auto path = dir.path() / "secret.key";
    ASSERT_TRUE(fs::createExclusive(path, "abc", {0640, {}}));
    EXPECT_EQ(modeOf(path), 0640U);
    EXPECT_FALSE(fs::createExclusive(path, "other"));
    EXPECT_EQ(fs::readFile(path).value(), "abc");

    auto link = dir.path() / "link.key";
    std::filesystem::create_symlink(dir.path() / "target", link);
    EXPECT_FALSE(fs::createExclusive(link, "x"));
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "target"));
}

TEST(AtomicFileTest, ReadFileRefusesSymlinkAndOversize) {
    test::TempDir dir;
    auto path = dir.path() / "data";
    ASSERT_TRUE(fs::writeFileAtomic(path, std::string(100, 'x')));
    EXPECT_FALSE(fs::readFile(path, 10));
    auto link = dir.path() / "link";
    std::filesystem::create_symlink(path, link);
    EXPECT_FALSE(fs::readFile(link));
    auto missing = fs::readFile(dir.path() / "missing");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, exitcode::kConfigFileNotFound);
}

TEST(AtomicFileTest, EnsureDirectorySetsMode) {
    test::TempDir dir;
    auto path = dir.path() / "a" / "certs";
    ASSERT_TRUE(fs::ensureDirectory(path, {0700, {}}));
    EXPECT_EQ(modeOf(path), 0700U);
    EXPECT_TRUE(fs::ensureDirectory(path, {0700, {}}));
}

TEST(AtomicFileTest, FailedWriteLeavesOldFile) {
    test::TempDir dir;
    auto path = dir.path() / "sub" / "file";
    std::filesystem::create_directory(dir.path() / "sub");
    ASSERT_TRUE(fs::writeFileAtomic(path, "old"));
    if (::geteuid() != 0) {
        // A directory that refuses new entries makes the temp file creation fail.
        std::filesystem::permissions(dir.path() / "sub", std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_exec);
        EXPECT_FALSE(fs::writeFileAtomic(path, "new"));
        std::filesystem::permissions(dir.path() / "sub", std::filesystem::perms::owner_all);
    } else {
        // Root ignores directory modes: make the target name a directory instead.
        auto blocked = dir.path() / "sub" / "dir";
        std::filesystem::create_directory(blocked);
        std::filesystem::create_directory(blocked / "child");
        EXPECT_FALSE(fs::writeFileAtomic(blocked, "new"));
    }
    EXPECT_EQ(fs::readFile(path).value(), "old");
}

TEST(RenameDurably, ReplacesTheTargetAndNamesWhatFailed) {
    test::TempDir dir;
    const auto from = dir.path() / "staged";
    const auto to = dir.path() / "current";
    ASSERT_TRUE(fs::writeFileAtomic(from, "new", {0600, {}}));
    ASSERT_TRUE(fs::writeFileAtomic(to, "old", {0600, {}}));
    ASSERT_TRUE(fs::renameDurably(from, to));
    EXPECT_EQ(fs::readFile(to).value(), "new");
    EXPECT_FALSE(std::filesystem::exists(from));

    const auto missing = fs::renameDurably(from, to);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("staged"), std::string::npos) << missing.error().message;
    EXPECT_EQ(fs::readFile(to).value(), "new");
    EXPECT_FALSE(fs::syncDirectory(dir.path() / "no-such-directory"));
}

TEST(ReadFileOfSize, ReadsExactlyThatManyBytesOfARegularFileOnly) {
    test::TempDir dir;
    const auto file = dir.path() / "package.zip";
    ASSERT_TRUE(fs::writeFileAtomic(file, "0123456789", {0600, {}}));
    EXPECT_EQ(fs::readFileOfSize(file, 10).value(), "0123456789");
    for (const std::uint64_t wrong : {9U, 11U, 0U}) {
        const auto refused = fs::readFileOfSize(file, wrong);
        ASSERT_FALSE(refused);
        EXPECT_NE(refused.error().message.find("size mismatch"), std::string::npos);
    }
    // A link planted in place of the file is not followed, whatever it points at.
    const auto link = dir.path() / "planted.zip";
    std::filesystem::create_symlink(file, link);
    EXPECT_FALSE(fs::readFileOfSize(link, 10));
    EXPECT_FALSE(fs::readFileOfSize(dir.path(), 0)); // a directory is no file
}

} // namespace
} // namespace azcm
