// SafeDirectory on Linux: openat(O_NOFOLLOW|O_DIRECTORY) per component, O_PATH to pin a symlink
// while its owner is checked and its target read. Policy in safe_path.hpp.
#include "common/platform/safe_path.hpp"
#include "common/platform/system_error_text.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <deque>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

constexpr int kMaxLinks = 40;          // as the kernel's own limit per lookup
constexpr std::size_t kMaxDepth = 256; // levels removeDirectory descends (one descriptor each)

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    void reset() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    int fd_;
};

bool trustedOwner(uid_t uid) {
    return uid == 0 || uid == ::geteuid();
}

bool writableByOthers(const struct stat& st) {
    return !trustedOwner(st.st_uid) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

EntryStatus statusOf(const struct stat& st) {
    EntryStatus status;
    status.kind = S_ISREG(st.st_mode)   ? EntryKind::kRegular
                  : S_ISDIR(st.st_mode) ? EntryKind::kDirectory
                  : S_ISLNK(st.st_mode) ? EntryKind::kSymlink
                                        : EntryKind::kOther;
    status.mode = st.st_mode & 07777;
    status.uid = st.st_uid;
    status.gid = st.st_gid;
    status.links = st.st_nlink;
    return status;
}

std::string join(const std::string& dir, std::string_view name) {
    return (dir == "/" ? dir : dir + "/") + std::string(name);
}

std::deque<std::string> components(std::string_view path) {
    std::deque<std::string> out;
    std::size_t start = 0;
    while (start < path.size()) {
        const auto slash = path.find('/', start);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        if (end > start) {
            out.emplace_back(path.substr(start, end - start));
        }
        start = end + 1;
    }
    return out;
}

Error refused(const std::string& shown, const std::string& why) {
    return makeError(exitcode::kGeneric, shown + ": " + why);
}

Result<void> checkName(const std::string& shown, const std::string& name) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
        return refused(join(shown, name), "not a single path component");
    }
    return ok();
}

// Names in a directory, read through a duplicate of its descriptor.
Result<std::vector<std::string>> listNames(int dir_fd, const std::string& shown) {
    const int scan_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (scan_fd < 0) {
        return refused(shown, "cannot read: " + systemErrorText(errno));
    }
    DIR* dir = ::fdopendir(scan_fd);
    if (dir == nullptr) {
        const int error = errno;
        ::close(scan_fd);
        return refused(shown, "cannot read: " + systemErrorText(error));
    }
    // A duplicate shares the directory's read position: a second listing would start at its end.
    ::rewinddir(dir);
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir)) { // NOLINT(concurrency-mt-unsafe): own DIR*
        const std::string_view name(entry->d_name);
        if (name != "." && name != "..") {
            names.emplace_back(name);
        }
    }
    ::closedir(dir);
    return names;
}

struct Frame {
    Fd fd;
    std::string shown;
    bool writable_by_others = false;
};

struct Creation {
    NewDirectory intermediate;
    NewDirectory last;
};

Result<void> setNewDirectoryMode(int fd, const NewDirectory& mode, const std::string& shown) {
    if (mode.gid && ::fchown(fd, static_cast<uid_t>(-1), *mode.gid) != 0) {
        return refused(shown, "cannot set the group: " + systemErrorText(errno));
    }
    if (::fchmod(fd, mode.mode) != 0) {
        return refused(shown, "cannot set the mode: " + systemErrorText(errno));
    }
    return ok();
}

// Opens a subdirectory, creating it first when `creation` says so. A descriptor of -1 comes with
// the errno of the failed open in `error`.
Result<Fd> openOrMake(const Frame& top,
                      const std::string& name,
                      const std::string& shown,
                      const NewDirectory* creation,
                      int& error) {
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    Fd fd(::openat(top.fd.get(), name.c_str(), flags));
    error = errno;
    if (fd.get() >= 0 || error != ENOENT || creation == nullptr) {
        return fd;
    }
    const bool made = ::mkdirat(top.fd.get(), name.c_str(), 0700) == 0;
    if (!made && errno != EEXIST) {
        return refused(shown, "cannot create: " + systemErrorText(errno));
    }
    fd = Fd(::openat(top.fd.get(), name.c_str(), flags));
    error = errno;
    if (fd.get() >= 0 && made) {
        BOOST_OUTCOME_TRY(setNewDirectoryMode(fd.get(), *creation, shown));
    }
    return fd;
}

// Reads the target of the symlink `name` in `top` if the policy lets it be followed.
Result<std::string>
followableTarget(const Frame& top, const std::string& name, const std::string& shown) {
    Fd link(::openat(top.fd.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (link.get() < 0 || ::fstat(link.get(), &st) != 0) {
        return refused(shown, "cannot open: " + systemErrorText(errno));
    }
    if (!S_ISLNK(st.st_mode)) {
        return refused(shown, "not a directory");
    }
    if (!trustedOwner(st.st_uid)) {
        return refused(shown, "a symbolic link owned by uid " + std::to_string(st.st_uid) +
                                  ", not followed (only root's links are)");
    }
    if (top.writable_by_others) {
        return refused(shown, "a symbolic link in " + top.shown +
                                  ", which an account other than root can write; not followed");
    }
    std::array<char, 4096> target{};
    const ssize_t size = ::readlinkat(link.get(), "", target.data(), target.size());
    if (size <= 0 || static_cast<std::size_t>(size) >= target.size()) {
        return refused(shown, "cannot read the symbolic link");
    }
    return std::string(target.data(), static_cast<std::size_t>(size));
}

Result<std::optional<SafeDirectory>> walk(const std::filesystem::path& root,
                                          const std::filesystem::path& relative,
                                          const Creation* creation,
                                          SafeDirectory (*make)(int, std::string, bool)) {
    std::deque<std::string> pending = components(relative.string());
    for (const auto& part : pending) {
        if (part == "." || part == "..") {
            return refused("/" + relative.relative_path().string(), "must not contain . or ..");
        }
    }
    std::vector<Frame> stack;
    {
        Fd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct stat st {};
        if (root_fd.get() < 0 || ::fstat(root_fd.get(), &st) != 0) {
            return refused(root.string(), "cannot open: " + systemErrorText(errno));
        }
        stack.push_back(Frame{std::move(root_fd), "/", writableByOthers(st)});
    }
    int links = 0;
    while (!pending.empty()) {
        const std::string name = std::move(pending.front());
        pending.pop_front();
        if (name == ".") {
            continue;
        }
        if (name == "..") { // only in a link's target; never above the root
            if (stack.size() > 1) {
                stack.pop_back();
            }
            continue;
        }
        const Frame& top = stack.back();
        const std::string shown = join(top.shown, name);
        const NewDirectory* mode = nullptr;
        if (creation != nullptr) {
            mode = pending.empty() ? &creation->last : &creation->intermediate;
        }
        int error = 0;
        BOOST_OUTCOME_TRY(fd, openOrMake(top, name, shown, mode, error));
        if (fd.get() >= 0) {
            struct stat st {};
            if (::fstat(fd.get(), &st) != 0) {
                return refused(shown, "cannot stat: " + systemErrorText(errno));
            }
            stack.push_back(Frame{std::move(fd), shown, writableByOthers(st)});
            continue;
        }
        if (error == ENOENT) {
            return std::optional<SafeDirectory>{};
        }
        if (error != ELOOP && error != ENOTDIR) {
            return refused(shown, "cannot open: " + systemErrorText(error));
        }
        BOOST_OUTCOME_TRY(target, followableTarget(top, name, shown));
        if (++links > kMaxLinks) {
            return refused(shown, "too many levels of symbolic links");
        }
        if (target.front() == '/') {
            stack.resize(1);
        }
        auto parts = components(target);
        pending.insert(pending.begin(), parts.begin(), parts.end());
    }
    Frame& top = stack.back();
    return std::optional<SafeDirectory>{make(top.fd.release(), top.shown, top.writable_by_others)};
}

} // namespace

// ---- SafeEntry ----------------------------------------------------------------------------------

SafeEntry::SafeEntry(NativeHandle handle, EntryStatus status, std::string shown)
    : handle_(handle), status_(status), shown_(std::move(shown)) {}

SafeEntry::SafeEntry(SafeEntry&& other) noexcept
    : handle_(std::exchange(other.handle_, -1)), status_(other.status_),
      shown_(std::move(other.shown_)) {}

SafeEntry::~SafeEntry() {
    if (handle_ >= 0) {
        ::close(handle_);
    }
}

Result<void> SafeEntry::setOwner(std::optional<std::uint32_t> uid,
                                 std::optional<std::uint32_t> gid) {
    if (!uid && !gid) {
        return ok();
    }
    if (::fchown(handle_, uid ? *uid : static_cast<uid_t>(-1),
                 gid ? *gid : static_cast<gid_t>(-1)) != 0) {
        return refused(shown_, "cannot change the owner: " + systemErrorText(errno));
    }
    return ok();
}

Result<void> SafeEntry::setMode(std::uint32_t mode) {
    if (::fchmod(handle_, mode) != 0) {
        return refused(shown_, "cannot change the mode: " + systemErrorText(errno));
    }
    return ok();
}

Result<std::string> SafeEntry::read(std::size_t max_bytes) const {
    if (status_.kind != EntryKind::kRegular) {
        return refused(shown_, "not a regular file");
    }
    std::string out;
    std::array<char, 8192> buffer{};
    for (;;) {
        const ssize_t n =
            ::pread(handle_, buffer.data(), buffer.size(), static_cast<off_t>(out.size()));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return refused(shown_, "cannot read: " + systemErrorText(errno));
        }
        if (n == 0) {
            return out;
        }
        out.append(buffer.data(), static_cast<std::size_t>(n));
        if (out.size() > max_bytes) {
            return refused(shown_, "larger than " + std::to_string(max_bytes) + " bytes");
        }
    }
}

// ---- SafeDirectory ------------------------------------------------------------------------------

SafeDirectory::SafeDirectory(NativeHandle handle, std::string shown, bool writable_by_others)
    : handle_(handle), shown_(std::move(shown)), writable_by_others_(writable_by_others) {}

SafeDirectory::SafeDirectory(SafeDirectory&& other) noexcept
    : handle_(std::exchange(other.handle_, -1)), shown_(std::move(other.shown_)),
      writable_by_others_(other.writable_by_others_) {}

SafeDirectory::~SafeDirectory() {
    if (handle_ >= 0) {
        ::close(handle_);
    }
}

Result<std::optional<SafeDirectory>> SafeDirectory::open(const std::filesystem::path& root,
                                                         const std::filesystem::path& relative) {
    return walk(root, relative, nullptr, [](int fd, std::string shown, bool others) {
        return SafeDirectory(fd, std::move(shown), others);
    });
}

Result<SafeDirectory> SafeDirectory::openOrCreate(const std::filesystem::path& root,
                                                  const std::filesystem::path& relative,
                                                  NewDirectory intermediate,
                                                  NewDirectory last) {
    const Creation creation{intermediate, last};
    BOOST_OUTCOME_TRY(found,
                      walk(root, relative, &creation, [](int fd, std::string shown, bool others) {
                          return SafeDirectory(fd, std::move(shown), others);
                      }));
    if (!found) { // a component vanished between mkdir and open
        return refused("/" + relative.relative_path().string(), "removed while being created");
    }
    return std::move(*found);
}

std::string SafeDirectory::shownPathOf(std::string_view name) const {
    return join(shown_, name);
}

Result<std::optional<EntryStatus>> pathStatus(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return std::optional<EntryStatus>{};
        }
        return makeError(exitcode::kGeneric,
                         "cannot stat " + path.string() + ": " + systemErrorText(errno));
    }
    return std::optional<EntryStatus>{statusOf(st)};
}

Result<std::optional<EntryStatus>> SafeDirectory::status(const std::string& name) const {
    BOOST_OUTCOME_TRY(checkName(shown_, name));
    struct stat st {};
    if (::fstatat(handle_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) {
            return std::optional<EntryStatus>{};
        }
        return refused(shownPathOf(name), "cannot stat: " + systemErrorText(errno));
    }
    return std::optional<EntryStatus>{statusOf(st)};
}

Result<SafeEntry> SafeDirectory::openEntry(const std::string& name) const {
    BOOST_OUTCOME_TRY(checkName(shown_, name));
    // O_NONBLOCK: opening a FIFO that a package names must not hang the evaluation.
    Fd fd(
        ::openat(handle_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (fd.get() < 0) {
        return refused(shownPathOf(name), errno == ELOOP
                                              ? "it is a symbolic link"
                                              : "cannot open: " + systemErrorText(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return refused(shownPathOf(name), "cannot stat: " + systemErrorText(errno));
    }
    return SafeEntry(fd.release(), statusOf(st), shownPathOf(name));
}

Result<void> SafeDirectory::removeFile(const std::string& name) const {
    BOOST_OUTCOME_TRY(checkName(shown_, name));
    if (::unlinkat(handle_, name.c_str(), 0) != 0 && errno != ENOENT) {
        return refused(shownPathOf(name), "cannot remove: " + systemErrorText(errno));
    }
    return ok();
}

Result<void> SafeDirectory::removeDirectory(const std::string& name, bool recursive) const {
    BOOST_OUTCOME_TRY(checkName(shown_, name));
    if (!recursive) {
        if (::unlinkat(handle_, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
            return refused(shownPathOf(name), "cannot remove: " + systemErrorText(errno));
        }
        return ok();
    }
    // Depth first without recursion, one descriptor per level: every entry is reached through
    // its directory's descriptor, so a directory swapped for a symlink is unlinked, not entered.
    struct Level {
        Fd fd;
        std::string name;
        std::string shown;
        std::vector<std::string> subdirectories;
        std::size_t next = 0;
    };
    std::vector<Level> levels;
    auto enter = [&](int parent_fd, const std::string& entry,
                     const std::string& shown) -> Result<bool> {
        Fd fd(::openat(parent_fd, entry.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd.get() < 0) {
            if (errno == ENOENT) {
                return false;
            }
            if (errno == ELOOP || errno == ENOTDIR) {
                if (::unlinkat(parent_fd, entry.c_str(), 0) != 0 && errno != ENOENT) {
                    return refused(shown, "cannot remove: " + systemErrorText(errno));
                }
                return false;
            }
            return refused(shown, "cannot open: " + systemErrorText(errno));
        }
        if (levels.size() >= kMaxDepth) {
            return refused(shown,
                           "more than " + std::to_string(kMaxDepth) + " levels deep; not removed");
        }
        BOOST_OUTCOME_TRY(names, listNames(fd.get(), shown));
        Level level{std::move(fd), entry, shown, {}, 0};
        for (const auto& child : names) {
            struct stat st {};
            if (::fstatat(level.fd.get(), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISDIR(st.st_mode)) {
                level.subdirectories.push_back(child);
            } else if (::unlinkat(level.fd.get(), child.c_str(), 0) != 0 && errno != ENOENT) {
                return refused(join(shown, child), "cannot remove: " + systemErrorText(errno));
            }
        }
        levels.push_back(std::move(level));
        return true;
    };
    BOOST_OUTCOME_TRY(entered, enter(handle_, name, shownPathOf(name)));
    if (!entered) {
        return ok();
    }
    while (!levels.empty()) {
        Level& level = levels.back();
        if (level.next < level.subdirectories.size()) {
            const std::string child = level.subdirectories[level.next++];
            BOOST_OUTCOME_TRY(enter(level.fd.get(), child, join(level.shown, child)));
            continue;
        }
        const std::string done = level.name;
        const std::string done_shown = level.shown;
        levels.pop_back();
        const int parent_fd = levels.empty() ? handle_ : levels.back().fd.get();
        if (::unlinkat(parent_fd, done.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
            return refused(done_shown, "cannot remove: " + systemErrorText(errno));
        }
    }
    return ok();
}

Result<void> SafeDirectory::makeDirectory(const std::string& name, NewDirectory mode) const {
    BOOST_OUTCOME_TRY(checkName(shown_, name));
    const bool made = ::mkdirat(handle_, name.c_str(), 0700) == 0;
    if (!made && errno != EEXIST) {
        return refused(shownPathOf(name), "cannot create: " + systemErrorText(errno));
    }
    Fd fd(::openat(handle_, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
        return refused(shownPathOf(name), errno == ELOOP || errno == ENOTDIR
                                              ? "exists and is not a directory"
                                              : "cannot open: " + systemErrorText(errno));
    }
    if (made) {
        return setNewDirectoryMode(fd.get(), mode, shownPathOf(name));
    }
    return ok();
}

Result<std::vector<std::string>> SafeDirectory::entriesMatching(std::string_view pattern) const {
    BOOST_OUTCOME_TRY(names, listNames(handle_, shown_));
    const std::string glob(pattern);
    std::vector<std::string> matching;
    for (auto& name : names) {
        if (::fnmatch(glob.c_str(), name.c_str(), FNM_PERIOD) == 0) {
            matching.push_back(std::move(name));
        }
    }
    std::sort(matching.begin(), matching.end());
    return matching;
}

} // namespace azcm::platform
