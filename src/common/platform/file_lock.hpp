#pragma once
// An exclusive lock on a lock file, held while the object lives: two processes of the agent never
// change the same thing at once (a `config set` read-modify-write, one handler's commands). The
// lock file is created private (0600) when missing, never through a symbolic link, and is never
// replaced or removed, so every holder locks the same file. The lock goes when its holder does,
// also when the holder is killed.
#include "common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>

namespace azcm::platform {

class FileLock {
public:
    // Waits until the lock is free.
    static Result<FileLock> acquire(const std::filesystem::path& lock_file);
    // Does not wait: nullopt while another holder has it.
    static Result<std::optional<FileLock>> tryAcquire(const std::filesystem::path& lock_file);

    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&&) = delete;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

private:
    explicit FileLock(std::intptr_t handle) : handle_(handle) {}
    std::intptr_t handle_; // the open lock file; -1 once moved from
};

} // namespace azcm::platform
