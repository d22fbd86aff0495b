#include "fs/atomic_file.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::fs {

namespace stdfs = std::filesystem;

namespace {

std::string errnoText(const std::string& what, const stdfs::path& path) {
    return what + " " + path.string() + ": " +
           std::strerror(errno); // NOLINT(concurrency-mt-unsafe)
}

class FdGuard {
public:
    explicit FdGuard(int fd) : fd_(fd) {}
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    FdGuard(FdGuard&&) = delete;
    FdGuard& operator=(FdGuard&&) = delete;
    ~FdGuard() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

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

Result<void> fsyncDirectory(const stdfs::path& dir) {
    FdGuard dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot open directory", dir));
    }
    if (::fsync(dfd.get()) != 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot fsync directory", dir));
    }
    return ok();
}

std::string randomSuffix() {
    static thread_local std::mt19937_64 engine{std::random_device{}()};
    static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                  '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string out;
    auto value = engine();
    for (int i = 0; i < 12; ++i) {
        out.push_back(kHex.at(value & 0xF));
        value >>= 4;
    }
    return out;
}

} // namespace

Result<void> createExclusive(const stdfs::path& path,
                             std::string_view content,
                             FileMode mode,
                             Durability durability) {
    FdGuard fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
        return makeError(exitcode::kGeneric, errnoText("cannot create", path));
    }
    auto fail = [&path](Result<void> r) {
        ::unlink(path.c_str());
        return r;
    };
    if (auto r = applyMode(fd.get(), mode, path); !r) {
        return fail(r);
    }
    if (auto r = writeAll(fd.get(), content, path); !r) {
        return fail(r);
    }
    if (durability == Durability::kSynced && ::fsync(fd.get()) != 0) {
        return fail(makeError(exitcode::kGeneric, errnoText("cannot fsync", path)));
    }
    return ok();
}

Result<void>
writeFileAtomic(const stdfs::path& path, std::string_view content, FileMode mode, bool backup) {
    const stdfs::path dir = path.has_parent_path() ? path.parent_path() : stdfs::path(".");
    const stdfs::path temp = dir / ("." + path.filename().string() + ".tmp-" + randomSuffix());
    if (auto r = createExclusive(temp, content, mode); !r) {
        return r;
    }
    if (backup) {
        const stdfs::path bak = stdfs::path(path.string() + ".bak");
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            ::unlink(bak.c_str());
            if (::link(path.c_str(), bak.c_str()) != 0) {
                ::unlink(temp.c_str());
                return makeError(exitcode::kGeneric, errnoText("cannot keep backup", bak));
            }
        }
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        auto err = errnoText("cannot replace", path);
        ::unlink(temp.c_str());
        return makeError(exitcode::kGeneric, err);
    }
    return fsyncDirectory(dir);
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

} // namespace azcm::fs
