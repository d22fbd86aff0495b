// The directory handle every privileged writer uses: no link followed anywhere in the path, no
// directory that another account can write, new files created exclusively, foreign locks refused.
#include "common/platform/private_directory.hpp"
#include "temp_dir.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::platform {
namespace {

namespace stdfs = std::filesystem;

class PrivateDirectoryTest : public ::testing::Test {
protected:
    stdfs::path make(const std::string& name, mode_t mode) {
        const auto path = dir_.path() / name;
        stdfs::create_directories(path);
        EXPECT_EQ(::chmod(path.c_str(), mode), 0);
        return path;
    }

    test::TempDir dir_;
};

TEST_F(PrivateDirectoryTest, OpensADirectoryOfOurOwnUnderStickyTmp) {
    // TempDir lives in /tmp, which is 1777: a sticky parent is fine.
    auto opened = PrivateDirectory::open(make("mine", 0755));
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened.value().path(), dir_.path() / "mine");
}

TEST_F(PrivateDirectoryTest, RefusesADirectoryOthersCanWrite) {
    for (const mode_t mode : {0775, 0757, 01775, 01777}) {
        const auto path = make("open-" + std::to_string(mode), mode);
        auto opened = PrivateDirectory::open(path);
        ASSERT_FALSE(opened) << std::oct << mode;
        EXPECT_NE(opened.error().message.find("writable by group or others"), std::string::npos)
            << opened.error().message;
    }
}

TEST_F(PrivateDirectoryTest, RefusesAParentOthersCanWriteUnlessItIsSticky) {
    make("open/inner", 0755);
    ASSERT_EQ(::chmod((dir_.path() / "open").c_str(), 0777), 0);
    auto refused = PrivateDirectory::open(dir_.path() / "open" / "inner");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find((dir_.path() / "open").string()), std::string::npos)
        << refused.error().message;
    ASSERT_EQ(::chmod((dir_.path() / "open").c_str(), 01777), 0);
    EXPECT_TRUE(PrivateDirectory::open(dir_.path() / "open" / "inner"));
}

TEST_F(PrivateDirectoryTest, RefusesALinkAnywhereInThePath) {
    make("real/inner", 0755);
    stdfs::create_directory_symlink(dir_.path() / "real", dir_.path() / "link");
    for (const auto& path : {dir_.path() / "link", dir_.path() / "link" / "inner"}) {
        auto opened = PrivateDirectory::open(path);
        ASSERT_FALSE(opened) << path;
        EXPECT_NE(opened.error().message.find("symbolic link"), std::string::npos)
            << opened.error().message;
    }
}

TEST_F(PrivateDirectoryTest, NewFilesAreExclusiveAndLinksAreNeverOpened) {
    const auto path = make("files", 0700);
    const auto victim = dir_.path() / "victim";
    std::ofstream(victim) << "precious";
    stdfs::create_symlink(victim, path / "planted");
    auto directory = PrivateDirectory::open(path).value();

    EXPECT_FALSE(directory.createNew("planted", 0600));
    auto appended = directory.openForAppend("planted", 0600);
    ASSERT_FALSE(appended);
    EXPECT_NE(appended.error().message.find("symbolic link"), std::string::npos);
    EXPECT_EQ(directory.entryType("planted"), EntryType::kSymlink);

    auto created = directory.openForAppend("fresh.log", 0640);
    ASSERT_TRUE(created) << created.error().message;
    ASSERT_TRUE(created.value().writeAll("line\n"));
    struct stat info {};
    ASSERT_EQ(::lstat((path / "fresh.log").c_str(), &info), 0);
    EXPECT_TRUE(S_ISREG(info.st_mode));
    EXPECT_FALSE(directory.createNew("fresh.log", 0600)) << "exists already";

    // Renames move the link itself; nothing is written through it.
    ASSERT_TRUE(directory.rename("planted", "moved"));
    EXPECT_EQ(directory.entryType("moved"), EntryType::kSymlink);
    std::ifstream in(victim);
    std::string content;
    in >> content;
    EXPECT_EQ(content, "precious");

    EXPECT_FALSE(directory.createNew("../escape", 0600));
    EXPECT_FALSE(directory.createNew("..", 0600));
}

TEST_F(PrivateDirectoryTest, ALockIsExclusiveAndALinkedLockIsRefused) {
    const auto path = make("locks", 0700);
    auto directory = PrivateDirectory::open(path).value();
    auto first = directory.lockExclusive("d.sock.lock");
    ASSERT_TRUE(first) << first.error().message;
    auto second = directory.lockExclusive("d.sock.lock");
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("another instance is running"), std::string::npos);
    first.value().close();
    EXPECT_TRUE(directory.lockExclusive("d.sock.lock"));

    stdfs::create_symlink(dir_.path() / "elsewhere", path / "x.sock.lock");
    auto linked = directory.lockExclusive("x.sock.lock");
    ASSERT_FALSE(linked);
    EXPECT_FALSE(stdfs::exists(dir_.path() / "elsewhere"));
}

} // namespace
} // namespace azcm::platform
