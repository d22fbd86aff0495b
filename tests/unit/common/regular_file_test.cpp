#include "common/fs/atomic_file.hpp"
#include "common/platform/regular_file.hpp"
#include "temp_dir.hpp"

#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::platform {
namespace {

TEST(RegularFile, ReadsTheLastBytesOfABigFile) {
    test::TempDir dir;
    std::string content(100000, 'a');
    content += "the end";
    ASSERT_TRUE(fs::writeFileAtomic(dir.path() / "big.log", content, fs::FileMode{0600, {}}));
    auto file = RegularFile::open(dir.path() / "big.log");
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file.value().size(), content.size());
    auto tail = file.value().readTail(10);
    ASSERT_TRUE(tail);
    EXPECT_EQ(tail.value(), "aaathe end");
    auto whole = file.value().readTail(1 << 20);
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole.value(), content);
}

TEST(RegularFile, ASymlinkAFifoOrADirectoryIsRefusedWithoutBlocking) {
    test::TempDir dir;
    ASSERT_TRUE(fs::writeFileAtomic(dir.path() / "secret", "key\n", fs::FileMode{0600, {}}));
    std::filesystem::create_symlink(dir.path() / "secret", dir.path() / "link.log");
    ASSERT_EQ(::mkfifo((dir.path() / "fifo.log").c_str(), 0600), 0);
    std::filesystem::create_directory(dir.path() / "dir.log");
    for (const char* name : {"link.log", "fifo.log", "dir.log", "missing.log"}) {
        EXPECT_FALSE(RegularFile::open(dir.path() / name)) << name;
        EXPECT_FALSE(regularFileIdentity(dir.path() / name)) << name;
    }
}

TEST(RegularFile, AHardLinkHasTheSameIdentity) {
    test::TempDir dir;
    ASSERT_TRUE(fs::writeFileAtomic(dir.path() / "key.pem", "key\n", fs::FileMode{0600, {}}));
    ASSERT_TRUE(fs::writeFileAtomic(dir.path() / "other", "x\n", fs::FileMode{0600, {}}));
    std::filesystem::create_hard_link(dir.path() / "key.pem", dir.path() / "innocent.log");
    auto opened = RegularFile::open(dir.path() / "innocent.log");
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened.value().identity(), regularFileIdentity(dir.path() / "key.pem"));
    EXPECT_NE(opened.value().identity(), regularFileIdentity(dir.path() / "other"));
}

} // namespace
} // namespace azcm::platform
