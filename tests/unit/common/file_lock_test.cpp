// platform::FileLock: one holder at a time, private lock files, never through a link.
#include "common/platform/file_lock.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <utility>

#include <gtest/gtest.h>

namespace azcm::platform {
namespace {

namespace stdfs = std::filesystem;

TEST(FileLockTest, OneHolderAtATimeAndTheLockGoesWithItsHolder) {
    test::TempDir dir;
    const auto path = dir.path() / "thing.lock";
    {
        auto held = FileLock::acquire(path);
        ASSERT_TRUE(held) << held.error().message;
        auto second = FileLock::tryAcquire(path);
        ASSERT_TRUE(second) << second.error().message;
        EXPECT_FALSE(second.value()) << "two holders at once";

        FileLock moved(std::move(held).value()); // still held after a move
        auto third = FileLock::tryAcquire(path);
        ASSERT_TRUE(third);
        EXPECT_FALSE(third.value());
    }
    auto after = FileLock::tryAcquire(path);
    ASSERT_TRUE(after);
    EXPECT_TRUE(after.value()) << "the lock outlived its holder";
    EXPECT_EQ(stdfs::status(path).permissions(),
              stdfs::perms::owner_read | stdfs::perms::owner_write);
}

// Another account plants a link where the lock file goes: nothing is created or opened through
// it.
TEST(FileLockTest, ALinkAtTheLockPathIsRefused) {
    test::TempDir dir;
    const auto victim = dir.path() / "victim";
    const auto path = dir.path() / "thing.lock";
    stdfs::create_symlink(victim, path);
    auto held = FileLock::acquire(path);
    ASSERT_FALSE(held);
    EXPECT_NE(held.error().message.find("thing.lock"), std::string::npos) << held.error().message;
    EXPECT_FALSE(FileLock::tryAcquire(path));
    EXPECT_FALSE(stdfs::exists(victim));
}

} // namespace
} // namespace azcm::platform
