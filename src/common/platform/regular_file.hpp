#pragma once
// Reading a file a privileged process collects (azcmagent logs) without being steered by the
// path: a symbolic link as the last component is refused, and so is anything that is not a
// regular file (a FIFO planted in its place fails at once instead of blocking the reader).
#include "common/error.hpp"
#include "common/platform/private_directory.hpp"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace azcm::platform {

// Which file a name leads to: equal identities are the same file, also through hard links.
struct FileIdentity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 sees the 0 of the synthesized compare
    friend auto operator<=>(const FileIdentity&, const FileIdentity&) = default;
};

// The identity of the regular file at `path`; nullopt when there is none (a symbolic link is
// not followed).
std::optional<FileIdentity> regularFileIdentity(const std::filesystem::path& path);

class RegularFile {
public:
    // An error when nothing is there, or a symbolic link, or anything but a regular file.
    static Result<RegularFile> open(const std::filesystem::path& path);

    FileIdentity identity() const { return identity_; }
    std::uint64_t size() const { return size_; }
    // The last `max_bytes` bytes (the whole file when it is smaller).
    Result<std::string> readTail(std::size_t max_bytes) const;

private:
    RegularFile(FileHandle handle, FileIdentity identity, std::uint64_t size)
        : handle_(std::move(handle)), identity_(identity), size_(size) {}
    FileHandle handle_;
    FileIdentity identity_;
    std::uint64_t size_ = 0;
};

} // namespace azcm::platform
