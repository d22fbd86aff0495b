#include "common/platform/file_lock.hpp"
#include "common/platform/system_error_text.hpp"

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

Result<int> openLockFile(const std::filesystem::path& lock_file) {
    const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return makeError(exitcode::kGeneric,
                         "cannot open " + lock_file.string() + ": " + systemErrorText(errno));
    }
    return fd;
}

} // namespace

Result<FileLock> FileLock::acquire(const std::filesystem::path& lock_file) {
    BOOST_OUTCOME_TRY(fd, openLockFile(lock_file));
    FileLock lock(fd); // closes the file on every way out
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            return makeError(exitcode::kGeneric,
                             "cannot lock " + lock_file.string() + ": " + systemErrorText(errno));
        }
    }
    return lock;
}

Result<std::optional<FileLock>> FileLock::tryAcquire(const std::filesystem::path& lock_file) {
    BOOST_OUTCOME_TRY(fd, openLockFile(lock_file));
    FileLock lock(fd);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            return std::optional<FileLock>();
        }
        if (errno != EINTR) {
            return makeError(exitcode::kGeneric,
                             "cannot lock " + lock_file.string() + ": " + systemErrorText(errno));
        }
    }
    return std::optional<FileLock>(std::move(lock));
}

FileLock::FileLock(FileLock&& other) noexcept : handle_(std::exchange(other.handle_, -1)) {}

FileLock::~FileLock() {
    if (handle_ >= 0) {
        ::close(static_cast<int>(handle_)); // releases the lock
    }
}

} // namespace azcm::platform
