// platform::PackageManagerLock: the record lock dpkg's frontends share, waited for while another
// process holds it (as a dpkg an interrupted upgrade left running does), never created.
#include "common/platform/package_manager_lock.hpp"
#include "temp_dir.hpp"

#include <fstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::platform {
namespace {

struct flock writeLockOfWholeFile() {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    return lock;
}

// Another process holding a record lock on `path` (the way dpkg does) until release() or its end.
class ForeignHolder {
public:
    explicit ForeignHolder(const std::filesystem::path& path) {
        int locked[2];
        EXPECT_EQ(::pipe(locked), 0);
        EXPECT_EQ(::pipe(release_), 0);
        pid_ = ::fork();
        if (pid_ == 0) {
            // Only the test keeps the release pipe's writing end: closing it is the release.
            ::close(release_[1]);
            const int fd = ::open(path.c_str(), O_RDWR);
            auto lock = writeLockOfWholeFile();
            const char result = (fd >= 0 && ::fcntl(fd, F_SETLK, &lock) == 0) ? 'y' : 'n';
            (void)!::write(locked[1], &result, 1);
            char ignored = 0;
            (void)!::read(release_[0], &ignored, 1); // until the test releases it
            ::_exit(0);
        }
        ::close(locked[1]);
        ::close(release_[0]);
        char result = 'n';
        EXPECT_EQ(::read(locked[0], &result, 1), 1);
        EXPECT_EQ(result, 'y') << "the holder could not lock " << path;
        ::close(locked[0]);
    }
    ~ForeignHolder() { release(); }
    ForeignHolder(const ForeignHolder&) = delete;
    ForeignHolder& operator=(const ForeignHolder&) = delete;
    ForeignHolder(ForeignHolder&&) = delete;
    ForeignHolder& operator=(ForeignHolder&&) = delete;

    pid_t pid() const { return pid_; }
    void release() {
        if (pid_ > 0) {
            ::close(release_[1]);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

private:
    int release_[2] = {-1, -1};
    pid_t pid_ = -1;
};

// Whether another process can lock `path` now.
bool lockableByAnotherProcess(const std::filesystem::path& path) {
    const pid_t child = ::fork();
    if (child == 0) {
        const int fd = ::open(path.c_str(), O_RDWR);
        auto lock = writeLockOfWholeFile();
        ::_exit(fd >= 0 && ::fcntl(fd, F_SETLK, &lock) == 0 ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class PackageManagerLockTest : public ::testing::Test {
protected:
    void SetUp() override { std::ofstream(path_) << ""; }
    test::TempDir dir_;
    std::filesystem::path path_ = dir_.path() / "lock-frontend";
};

TEST_F(PackageManagerLockTest, HeldUntilReleasedAndKeptFromOtherProcesses) {
    {
        auto held = PackageManagerLock::acquire(path_, std::chrono::seconds(1));
        ASSERT_TRUE(held) << held.error().message;
        ASSERT_TRUE(held.value());
        EXPECT_FALSE(lockableByAnotherProcess(path_));
    }
    EXPECT_TRUE(lockableByAnotherProcess(path_));
}

TEST_F(PackageManagerLockTest, AHolderThatStaysIsNamedWhenTheWaitRunsOut) {
    ForeignHolder holder(path_);
    const auto held = PackageManagerLock::acquire(path_, std::chrono::milliseconds(300));
    ASSERT_FALSE(held);
    EXPECT_NE(held.error().message.find("process " + std::to_string(holder.pid())),
              std::string::npos)
        << held.error().message;
}

TEST_F(PackageManagerLockTest, WaitsForAHolderToFinish) {
    ForeignHolder holder(path_);
    std::thread finisher([&holder] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        holder.release();
    });
    const auto held = PackageManagerLock::acquire(path_, std::chrono::seconds(10));
    finisher.join();
    ASSERT_TRUE(held) << held.error().message;
    EXPECT_TRUE(held.value());
}

// The package manager owns the file: without it there is nothing to wait for and nothing made.
TEST_F(PackageManagerLockTest, AMissingLockFileIsNeitherWaitedForNorCreated) {
    const auto missing = dir_.path() / "no-such-lock";
    const auto held = PackageManagerLock::acquire(missing, std::chrono::seconds(1));
    ASSERT_TRUE(held) << held.error().message;
    EXPECT_FALSE(held.value());
    EXPECT_FALSE(std::filesystem::exists(missing));
}

} // namespace
} // namespace azcm::platform
