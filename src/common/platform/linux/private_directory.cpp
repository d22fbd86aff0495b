#include "common/platform/private_directory.hpp"

#include "common/platform/accounts.hpp"
#include "common/platform/system_error_text.hpp"

#include <cerrno>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

Error failure(const std::string& what, int error_number) {
    return makeError(exitcode::kGeneric, what + ": " + systemErrorText(error_number));
}

std::string ownerText(uid_t uid) {
    return userName(uid) + " (uid " + std::to_string(uid) + ")";
}

// A name inside the directory: one component, no separator, not "." or "..".
bool isPlainName(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

// Why `info` (of `path`) is no place for a private file, or empty when it is fine. `last` is the
// directory itself; the others are its parents.
std::string unsafeBecause(const struct stat& info, const std::filesystem::path& path, bool last) {
    const uid_t self = ::geteuid();
    if (!S_ISDIR(info.st_mode)) {
        return path.string() + " is not a directory";
    }
    const bool writable_by_others = (info.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    if (last) {
        if (info.st_uid != self) {
            return "directory " + path.string() + " belongs to " + ownerText(info.st_uid) +
                   ", not to this process's user " + ownerText(self);
        }
        if (writable_by_others) {
            return "directory " + path.string() + " is writable by group or others";
        }
        return {};
    }
    if (info.st_uid != 0 && info.st_uid != self) {
        return "directory " + path.string() + " belongs to " + ownerText(info.st_uid);
    }
    if (writable_by_others && (info.st_mode & S_ISVTX) == 0) {
        return "directory " + path.string() + " is writable by group or others";
    }
    return {};
}

} // namespace

FileHandle::~FileHandle() {
    close();
}

FileHandle::FileHandle(FileHandle&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)) {}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
    if (this != &other) {
        close();
        descriptor_ = std::exchange(other.descriptor_, -1);
    }
    return *this;
}

int FileHandle::release() {
    return std::exchange(descriptor_, -1);
}

void FileHandle::close() {
    if (descriptor_ >= 0) {
        ::close(descriptor_);
        descriptor_ = -1;
    }
}

Result<void> FileHandle::writeAll(std::string_view bytes) const {
    while (!bytes.empty()) {
        const ssize_t written = ::write(descriptor_, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return failure("write", errno);
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return ok();
}

Result<std::uint64_t> FileHandle::size() const {
    struct stat info {};
    if (::fstat(descriptor_, &info) != 0) {
        return failure("fstat", errno);
    }
    return static_cast<std::uint64_t>(info.st_size);
}

Result<PrivateDirectory> PrivateDirectory::open(const std::filesystem::path& path) {
    const auto absolute = std::filesystem::absolute(path).lexically_normal();
    std::vector<std::filesystem::path> components;
    for (const auto& component : absolute.relative_path()) {
        if (!component.empty()) {
            components.push_back(component);
        }
    }
    FileHandle current(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!current.isOpen()) {
        return failure("cannot open /", errno);
    }
    std::filesystem::path walked = "/";
    for (std::size_t i = 0; i <= components.size(); ++i) {
        struct stat info {};
        if (::fstat(current.native(), &info) != 0) {
            return failure("cannot inspect " + walked.string(), errno);
        }
        if (auto why = unsafeBecause(info, walked, i == components.size()); !why.empty()) {
            return makeError(exitcode::kGeneric, why);
        }
        if (i == components.size()) {
            break;
        }
        walked /= components[i];
        FileHandle next(::openat(current.native(), components[i].c_str(),
                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next.isOpen()) {
            const int error_number = errno;
            struct stat entry {};
            if ((error_number == ELOOP || error_number == ENOTDIR) &&
                ::fstatat(current.native(), components[i].c_str(), &entry, AT_SYMLINK_NOFOLLOW) ==
                    0 &&
                S_ISLNK(entry.st_mode)) {
                return makeError(exitcode::kGeneric,
                                 "directory " + walked.string() + " is a symbolic link");
            }
            return failure("cannot open directory " + walked.string(), error_number);
        }
        current = std::move(next);
    }
    return PrivateDirectory(std::move(current), absolute);
}

std::string PrivateDirectory::describe(std::string_view name) const {
    return (path_ / std::string(name)).string();
}

Result<FileHandle> PrivateDirectory::createNew(std::string_view name, std::uint32_t mode) const {
    if (!isPlainName(name)) {
        return makeError(exitcode::kInvalidArgument, "not a file name: " + std::string(name));
    }
    FileHandle file(::openat(handle_.native(), std::string(name).c_str(),
                             O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                             static_cast<mode_t>(mode)));
    if (!file.isOpen()) {
        return failure("cannot create " + describe(name), errno);
    }
    return file;
}

Result<FileHandle> PrivateDirectory::openForAppend(std::string_view name,
                                                   std::uint32_t mode) const {
    if (!isPlainName(name)) {
        return makeError(exitcode::kInvalidArgument, "not a file name: " + std::string(name));
    }
    // O_NONBLOCK: a FIFO planted under the name must not block the open; it is refused below.
    FileHandle file(::openat(handle_.native(), std::string(name).c_str(),
                             O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!file.isOpen()) {
        if (errno == ENOENT) {
            return createNew(name, mode);
        }
        if (errno == ELOOP) {
            return makeError(exitcode::kGeneric,
                             describe(name) + " is a symbolic link; it is not followed");
        }
        return failure("cannot open " + describe(name), errno);
    }
    struct stat info {};
    if (::fstat(file.native(), &info) != 0) {
        return failure("cannot inspect " + describe(name), errno);
    }
    if (!S_ISREG(info.st_mode)) {
        return makeError(exitcode::kGeneric, describe(name) + " is not a regular file");
    }
    if (info.st_uid != ::geteuid()) {
        return makeError(exitcode::kGeneric,
                         describe(name) + " belongs to " + ownerText(info.st_uid));
    }
    const int flags = ::fcntl(file.native(), F_GETFL);
    if (flags < 0 || ::fcntl(file.native(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
        return failure("cannot use " + describe(name), errno);
    }
    return file;
}

Result<FileHandle> PrivateDirectory::lockExclusive(std::string_view name) const {
    if (!isPlainName(name)) {
        return makeError(exitcode::kInvalidArgument, "not a file name: " + std::string(name));
    }
    FileHandle file(::openat(handle_.native(), std::string(name).c_str(),
                             O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    if (!file.isOpen()) {
        if (errno == ELOOP) {
            return makeError(exitcode::kGeneric,
                             "lock file " + describe(name) + " is a symbolic link");
        }
        return failure("cannot open lock file " + describe(name), errno);
    }
    struct stat info {};
    if (::fstat(file.native(), &info) != 0) {
        return failure("cannot inspect lock file " + describe(name), errno);
    }
    if (!S_ISREG(info.st_mode)) {
        return makeError(exitcode::kGeneric,
                         "lock file " + describe(name) + " is not a regular file");
    }
    if (info.st_uid != ::geteuid()) {
        return makeError(exitcode::kGeneric,
                         "lock file " + describe(name) + " belongs to " + ownerText(info.st_uid) +
                             ", not to this process's user " + ownerText(::geteuid()) +
                             "; a lock someone else made is not honoured: remove it");
    }
    if (::flock(file.native(), LOCK_EX | LOCK_NB) != 0) {
        const int error_number = errno;
        if (error_number == EWOULDBLOCK) {
            return makeError(exitcode::kGeneric,
                             "another instance is running (" + describe(name) + " is locked)");
        }
        return failure("cannot lock " + describe(name), error_number);
    }
    return file;
}

EntryType PrivateDirectory::entryType(std::string_view name) const {
    struct stat info {};
    if (!isPlainName(name) ||
        ::fstatat(handle_.native(), std::string(name).c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        return EntryType::kMissing;
    }
    if (S_ISREG(info.st_mode)) {
        return EntryType::kFile;
    }
    if (S_ISDIR(info.st_mode)) {
        return EntryType::kDirectory;
    }
    if (S_ISLNK(info.st_mode)) {
        return EntryType::kSymlink;
    }
    if (S_ISSOCK(info.st_mode)) {
        return EntryType::kSocket;
    }
    return EntryType::kOther;
}

Result<void> PrivateDirectory::rename(std::string_view from, std::string_view to) const {
    if (!isPlainName(from) || !isPlainName(to)) {
        return makeError(exitcode::kInvalidArgument, "not a file name");
    }
    if (::renameat(handle_.native(), std::string(from).c_str(), handle_.native(),
                   std::string(to).c_str()) != 0) {
        return failure("cannot rename " + describe(from) + " to " + std::string(to), errno);
    }
    return ok();
}

Result<void> PrivateDirectory::remove(std::string_view name) const {
    if (!isPlainName(name)) {
        return makeError(exitcode::kInvalidArgument, "not a file name: " + std::string(name));
    }
    if (::unlinkat(handle_.native(), std::string(name).c_str(), 0) != 0 && errno != ENOENT) {
        return failure("cannot remove " + describe(name), errno);
    }
    return ok();
}

Result<void> PrivateDirectory::symlink(const std::string& target, std::string_view name) const {
    if (!isPlainName(name)) {
        return makeError(exitcode::kInvalidArgument, "not a file name: " + std::string(name));
    }
    if (::symlinkat(target.c_str(), handle_.native(), std::string(name).c_str()) != 0) {
        return failure("cannot create the link " + describe(name), errno);
    }
    return ok();
}

std::string PrivateDirectory::linkTarget(std::string_view name) const {
    if (!isPlainName(name)) {
        return {};
    }
    std::vector<char> buffer(4096);
    const ssize_t length =
        ::readlinkat(handle_.native(), std::string(name).c_str(), buffer.data(), buffer.size());
    if (length <= 0 || static_cast<std::size_t>(length) >= buffer.size()) {
        return {};
    }
    return {buffer.data(), static_cast<std::size_t>(length)};
}

} // namespace azcm::platform
