#pragma once
// A directory that only this process's account can change, held open, and the files named in it.
// Writers that run as root (or as a service account) open, create, rename and lock names only
// through such a handle: every operation is relative to the open descriptor, never follows a
// symbolic link, and creates new files exclusively, so nobody else can redirect a write.
#include "common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace azcm::platform {

// An open file; closes itself. Move-only.
class FileHandle {
public:
    FileHandle() = default;
    explicit FileHandle(int descriptor) : descriptor_(descriptor) {}
    ~FileHandle();
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    FileHandle(FileHandle&& other) noexcept;
    FileHandle& operator=(FileHandle&& other) noexcept;

    bool isOpen() const { return descriptor_ >= 0; }
    int native() const { return descriptor_; }
    // Gives the descriptor to the caller, who closes it.
    int release();
    void close();

    // Writes every byte (retrying short writes and EINTR).
    Result<void> writeAll(std::string_view bytes) const;
    Result<std::uint64_t> size() const;

private:
    int descriptor_ = -1;
};

enum class EntryType { kMissing, kFile, kDirectory, kSymlink, kSocket, kOther };

class PrivateDirectory {
public:
    // Opens `path` one component at a time from "/", never through a symbolic link. Each parent
    // must belong to root or to this process's effective user and be writable by nobody else,
    // unless it is sticky (as /tmp is: others may add names there but not move ours). `path`
    // itself must belong to this process's effective user and be writable by nobody else. The
    // error names the component that failed.
    static Result<PrivateDirectory> open(const std::filesystem::path& path);

    PrivateDirectory() = default;
    const std::filesystem::path& path() const { return path_; }

    // Opens the regular file `name` for appending, or creates it with `mode` (O_EXCL) when it
    // is missing. A link, a directory or anything but a regular file of ours is refused.
    Result<FileHandle> openForAppend(std::string_view name, std::uint32_t mode) const;
    // Creates `name` with `mode`; fails when anything (a link included) already has that name.
    Result<FileHandle> createNew(std::string_view name, std::uint32_t mode) const;
    // Opens or creates the lock file `name` (mode 0600) and takes an exclusive non-blocking flock.
    // A lock file that belongs to another user is refused and named in the error, whoever may
    // hold it: only files this process's account made are honoured.
    Result<FileHandle> lockExclusive(std::string_view name) const;

    EntryType entryType(std::string_view name) const;
    // Renames within the directory; an existing `to` is replaced, a link is moved, not followed.
    Result<void> rename(std::string_view from, std::string_view to) const;
    // Removes the entry `name` (not a directory); a missing entry is not an error.
    Result<void> remove(std::string_view name) const;
    // Creates the symbolic link `name` -> `target`.
    Result<void> symlink(const std::string& target, std::string_view name) const;
    // The target of the link `name`, or empty when `name` is not a link.
    std::string linkTarget(std::string_view name) const;

private:
    PrivateDirectory(FileHandle handle, std::filesystem::path path)
        : handle_(std::move(handle)), path_(std::move(path)) {}

    std::string describe(std::string_view name) const;

    FileHandle handle_;
    std::filesystem::path path_;
};

} // namespace azcm::platform
