#include "common/platform/package_manager_lock.hpp"
#include "common/platform/system_error_text.hpp"

#include <cerrno>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

// How often a held lock is tried again: a package manager's run takes seconds.
constexpr std::chrono::milliseconds kRetryInterval{200};

struct flock wholeFileWriteLock() {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;
    return lock;
}

// "process 1234", or "another process" when the holder went while we asked.
std::string holderOf(int fd) {
    auto lock = wholeFileWriteLock();
    if (::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK) {
        return "process " + std::to_string(lock.l_pid);
    }
    return "another process";
}

} // namespace

Result<std::optional<PackageManagerLock>>
PackageManagerLock::acquire(const std::filesystem::path& lock_file,
                            std::chrono::milliseconds wait) {
    // Never created here: the package manager owns the file, and its absence means it is not used.
    const int fd = ::open(lock_file.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            return std::optional<PackageManagerLock>();
        }
        return makeError(exitcode::kGeneric,
                         "cannot open " + lock_file.string() + ": " + systemErrorText(errno));
    }
    PackageManagerLock held(fd); // closes the file on every way out
    const auto give_up = std::chrono::steady_clock::now() + wait;
    while (true) {
        auto lock = wholeFileWriteLock();
        if (::fcntl(fd, F_SETLK, &lock) == 0) {
            return std::optional<PackageManagerLock>(std::move(held));
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EACCES && errno != EAGAIN) {
            return makeError(exitcode::kGeneric,
                             "cannot lock " + lock_file.string() + ": " + systemErrorText(errno));
        }
        if (std::chrono::steady_clock::now() >= give_up) {
            return makeError(
                exitcode::kGeneric,
                holderOf(fd) + " has held " + lock_file.string() + " for " +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(wait).count()) +
                    " s: another package manager is running");
        }
        std::this_thread::sleep_for(kRetryInterval);
    }
}

PackageManagerLock::PackageManagerLock(PackageManagerLock&& other) noexcept
    : handle_(other.handle_) {
    other.handle_ = -1;
}

PackageManagerLock::~PackageManagerLock() {
    if (handle_ >= 0) {
        ::close(static_cast<int>(handle_)); // releases the record lock
    }
}

} // namespace azcm::platform
