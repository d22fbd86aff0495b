#include "common/fs/atomic_file.hpp"
#include "common/platform/system_error_text.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <random>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::fs {

namespace stdfs = std::filesystem;

namespace {

constexpr std::size_t kTempSuffixLength = 12; // hex digits of a temp file's random suffix

std::string errnoText(const std::string& what, const stdfs::path& path) {
    return what + " " + path.string() + ": " + platform::systemErrorText(errno);
}

// Owns a descriptor; movable so helpers can hand one back.
class FdGuard {
public:
    explicit FdGuard(int fd) : fd_(fd) {}
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    FdGuard(FdGuard&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FdGuard& operator=(FdGuard&&) = delete;
    ~FdGuard() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const { return fd_; }

private:
    int fd_;
};

Result<void> writeAll(int fd, std::string_view content, const stdfs::path& path) {
    const char* data = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        ssize_t written = ::write(fd, data, left);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return makeError(exitcode::kGeneric, errnoText("cannot write", path));
        }
        data += written;
        left -= static_cast<std::size_t>(written);
    }
    return ok();
}

// Mode and group go on the descriptor before content, so the file is never readable by more
// principals than intended, whatever the umask.
Result<void> applyMode(int fd, const FileMode& mode, const stdfs::path& path) {
    if (mode.group && ::fchown(fd, static_cast<uid_t>(-1), *mode.group) != 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot set group of", path));
    }
    if (::fchmod(fd, mode.mode) != 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot set mode of", path));
    }
    return ok();
}

Result<FdGuard> openDirectory(const stdfs::path& dir) {
    FdGuard dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot open directory", dir));
    }
    return dfd;
}

std::string randomSuffix() {
    static thread_local std::mt19937_64 engine{std::random_device{}()};
    static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                  '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string out;
    auto value = engine();
    for (std::size_t i = 0; i < kTempSuffixLength; ++i) {
        out.push_back(kHex.at(value & 0xF));
        value >>= 4;
    }
    return out;
}

std::string tempPrefix(const std::string& name) {
    return "." + name + ".tmp-";
}

// Whether `entry` is a temporary file of `name` (".<name>.tmp-" and exactly the random suffix, so
// the temp files of a file called "<name>.tmp-x" never match).
bool isTempOf(std::string_view entry, const std::string& name) {
    const std::string prefix = tempPrefix(name);
    if (entry.size() != prefix.size() + kTempSuffixLength ||
        entry.substr(0, prefix.size()) != prefix) {
        return false;
    }
    return std::all_of(entry.begin() + static_cast<std::ptrdiff_t>(prefix.size()), entry.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Creates `name` in `dir_fd` exclusively with its final mode, then the content.
Result<void> createAt(int dir_fd,
                      const std::string& name,
                      const stdfs::path& shown,
                      std::string_view content,
                      const FileMode& mode,
                      Durability durability) {
    FdGuard fd(
        ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot create", shown));
    }
    auto fail = [&](Result<void> r) {
        ::unlinkat(dir_fd, name.c_str(), 0);
        return r;
    };
    if (auto r = applyMode(fd.get(), mode, shown); !r) {
        return fail(r);
    }
    if (auto r = writeAll(fd.get(), content, shown); !r) {
        return fail(r);
    }
    if (durability == Durability::kSynced && ::fsync(fd.get()) != 0) {
        return fail(makeError(exitcode::kGeneric, errnoText("cannot fsync", shown)));
    }
    return ok();
}

// The writers' lock of one file: an exclusive flock on ".<name>.lock" beside it. Every writer of
// the file holds it from before its temp file exists until after the rename, so a temp file seen
// by a lock holder belongs to a writer that died. The holder removes the lock file when it is
// done (no lasting litter); a waiter that then wins the flock on the removed inode sees that the
// name no longer leads to it and takes the lock afresh.
class WriterLock {
public:
    static Result<WriterLock>
    acquire(int dir_fd, const stdfs::path& dir, const std::string& file_name) {
        const std::string name = "." + file_name + ".lock";
        const stdfs::path shown = dir / name;
        for (;;) {
            FdGuard fd(
                ::openat(dir_fd, name.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
            if (fd.get() < 0) {
                return makeError(exitcode::kGeneric, errnoText("cannot open lock file", shown));
            }
            struct stat held {};
            if (::fstat(fd.get(), &held) != 0) {
                return makeError(exitcode::kGeneric, errnoText("cannot stat lock file", shown));
            }
            // Another account's lock file could hold every writer off (or be a hard link to
            // something else): refused, never honoured.
            if (!S_ISREG(held.st_mode) || held.st_uid != ::geteuid()) {
                return makeError(exitcode::kGeneric,
                                 "refusing lock file " + shown.string() + ": owned by uid " +
                                     std::to_string(held.st_uid) + ", not by uid " +
                                     std::to_string(::geteuid()));
            }
            while (::flock(fd.get(), LOCK_EX) != 0) {
                if (errno != EINTR) {
                    return makeError(exitcode::kGeneric, errnoText("cannot lock", shown));
                }
            }
            struct stat named {};
            if (::fstatat(dir_fd, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
                named.st_dev == held.st_dev && named.st_ino == held.st_ino) {
                return WriterLock(dir_fd, name, std::move(fd));
            }
            // The previous holder removed the file while this one waited: try again.
        }
    }
    WriterLock(WriterLock&& other) noexcept
        : dir_fd_(other.dir_fd_), name_(std::move(other.name_)), fd_(std::move(other.fd_)),
          held_(std::exchange(other.held_, false)) {}
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;
    WriterLock& operator=(WriterLock&&) = delete;
    ~WriterLock() {
        if (held_) {
            ::unlinkat(dir_fd_, name_.c_str(), 0); // before the flock goes with the descriptor
        }
    }

private:
    WriterLock(int dir_fd, std::string name, FdGuard fd)
        : dir_fd_(dir_fd), name_(std::move(name)), fd_(std::move(fd)) {}
    int dir_fd_;
    std::string name_;
    FdGuard fd_;
    bool held_ = true;
};

// Under the lock: removes the temp files that writers killed before their rename left behind.
void sweepStaleTemps(int dir_fd, const std::string& name) {
    const int scan_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (scan_fd < 0) {
        return;
    }
    DIR* dir = ::fdopendir(scan_fd);
    if (dir == nullptr) {
        ::close(scan_fd);
        return;
    }
    std::vector<std::string> stale;
    while (const dirent* entry = ::readdir(dir)) { // NOLINT(concurrency-mt-unsafe): own DIR*
        if (isTempOf(entry->d_name, name)) {
            stale.emplace_back(entry->d_name);
        }
    }
    ::closedir(dir);
    for (const auto& entry : stale) {
        ::unlinkat(dir_fd, entry.c_str(), 0);
    }
}

// Replaces "<name>.bak" by the current file in one rename: a hard link under a temp name first,
// so there is always a backup, the old one or the new one.
Result<void> keepBackup(int dir_fd, const std::string& name, const stdfs::path& path) {
    struct stat current {};
    if (::fstatat(dir_fd, name.c_str(), &current, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(current.st_mode)) {
        return ok(); // nothing to keep
    }
    const std::string bak = name + ".bak";
    const stdfs::path shown_bak = stdfs::path(path.string() + ".bak");
    struct stat backup {};
    if (::fstatat(dir_fd, bak.c_str(), &backup, AT_SYMLINK_NOFOLLOW) == 0 &&
        backup.st_dev == current.st_dev && backup.st_ino == current.st_ino) {
        // Already the backup (a writer died after keeping it). rename() of one hard link over
        // another of the same file would do nothing and leave the temp name behind.
        return ok();
    }
    const std::string link_name = tempPrefix(name) + randomSuffix();
    if (::linkat(dir_fd, name.c_str(), dir_fd, link_name.c_str(), 0) != 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot keep backup", shown_bak));
    }
    if (::renameat(dir_fd, link_name.c_str(), dir_fd, bak.c_str()) != 0) {
        auto err = errnoText("cannot keep backup", shown_bak);
        ::unlinkat(dir_fd, link_name.c_str(), 0);
        return makeError(exitcode::kGeneric, err);
    }
    return ok();
}

// The write itself, relative to the directory's descriptor; `dir` only names it in messages.
Result<void> writeAt(int dir_fd,
                     const stdfs::path& dir,
                     const std::string& name,
                     std::string_view content,
                     const FileMode& mode,
                     bool backup) {
    const stdfs::path path = dir / name;
    auto lock = WriterLock::acquire(dir_fd, dir, name); // held until the rename is durable
    if (!lock) {
        return lock.error();
    }
    sweepStaleTemps(dir_fd, name);
    const std::string temp = tempPrefix(name) + randomSuffix();
    BOOST_OUTCOME_TRY(createAt(dir_fd, temp, dir / temp, content, mode, Durability::kSynced));
    if (backup) {
        if (auto kept = keepBackup(dir_fd, name, path); !kept) {
            ::unlinkat(dir_fd, temp.c_str(), 0);
            return kept;
        }
    }
    if (::renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0) {
        auto err = errnoText("cannot replace", path);
        ::unlinkat(dir_fd, temp.c_str(), 0);
        return makeError(exitcode::kGeneric, err);
    }
    if (::fsync(dir_fd) != 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot fsync directory", dir));
    }
    return ok();
}

} // namespace

Result<void> createExclusive(const stdfs::path& path,
                             std::string_view content,
                             FileMode mode,
                             Durability durability) {
    const stdfs::path dir = path.has_parent_path() ? path.parent_path() : stdfs::path(".");
    BOOST_OUTCOME_TRY(dir_fd, openDirectory(dir));
    return createAt(dir_fd.get(), path.filename().string(), path, content, mode, durability);
}

Result<void>
writeFileAtomic(const stdfs::path& path, std::string_view content, FileMode mode, bool backup) {
    const stdfs::path dir = path.has_parent_path() ? path.parent_path() : stdfs::path(".");
    BOOST_OUTCOME_TRY(dir_fd, openDirectory(dir));
    return writeAt(dir_fd.get(), dir, path.filename().string(), content, mode, backup);
}

Result<void> writeFileAtomic(const platform::SafeDirectory& dir,
                             const std::string& name,
                             std::string_view content,
                             FileMode mode,
                             bool backup) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
        return makeError(exitcode::kGeneric,
                         "cannot write " + dir.shownPathOf(name) + ": not a file name");
    }
    return writeAt(dir.nativeHandle(), dir.shownPath(), name, content, mode, backup);
}

Result<std::string> readFile(const stdfs::path& path, std::size_t max_bytes) {
    FdGuard fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
        return makeError(errno == ENOENT ? exitcode::kConfigFileNotFound : exitcode::kGeneric,
                         errnoText("cannot open", path));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return makeError(exitcode::kGeneric, "not a regular file: " + path.string());
    }
    if (static_cast<std::size_t>(st.st_size) > max_bytes) {
        return makeError(exitcode::kGeneric, "file too large: " + path.string());
    }
    std::string out;
    std::array<char, 8192> buf{};
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return makeError(exitcode::kGeneric, errnoText("cannot read", path));
        }
        if (n == 0) {
            break;
        }
        out.append(buf.data(), static_cast<std::size_t>(n));
        if (out.size() > max_bytes) {
            return makeError(exitcode::kGeneric, "file too large: " + path.string());
        }
    }
    return out;
}

Result<void> ensureDirectory(const stdfs::path& path, FileMode mode) {
    std::error_code ec;
    if (stdfs::is_directory(stdfs::symlink_status(path, ec))) {
        return ok();
    }
    if (path.has_parent_path() && path.parent_path() != path) {
        stdfs::create_directories(path.parent_path(), ec);
        if (ec) {
            return makeError(exitcode::kGeneric,
                             "cannot create " + path.parent_path().string() + ": " + ec.message());
        }
    }
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
        return makeError(exitcode::kGeneric, errnoText("cannot create directory", path));
    }
    FdGuard fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot open directory", path));
    }
    return applyMode(fd.get(), mode, path);
}

Result<void> removeFile(const stdfs::path& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return makeError(exitcode::kGeneric, errnoText("cannot remove", path));
    }
    return ok();
}

Result<std::string> readFileOfSize(const stdfs::path& path, std::uint64_t expected) {
    FdGuard fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot open", path));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return makeError(exitcode::kGeneric, "not a regular file: " + path.string());
    }
    if (static_cast<std::uint64_t>(st.st_size) != expected) {
        return makeError(exitcode::kGeneric, "size mismatch: expected " + std::to_string(expected) +
                                                 " bytes, got " + std::to_string(st.st_size));
    }
    std::string content(static_cast<std::size_t>(expected), '\0');
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return makeError(exitcode::kGeneric, "changed while it was read: " + path.string());
        }
        done += static_cast<std::size_t>(n);
    }
    return content;
}

Result<void> syncDirectory(const stdfs::path& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot open", directory));
    }
    const int synced = ::fsync(fd);
    const int error_number = errno;
    ::close(fd);
    if (synced != 0) {
        errno = error_number;
        return makeError(exitcode::kGeneric, errnoText("cannot fsync", directory));
    }
    return ok();
}

Result<void> renameDurably(const stdfs::path& from, const stdfs::path& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
        return makeError(exitcode::kGeneric,
                         errnoText("cannot rename " + from.string() + " to", to));
    }
    return syncDirectory(to.parent_path());
}

} // namespace azcm::fs
