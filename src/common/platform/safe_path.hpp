#pragma once
// Directories reached without following a symbolic link that someone other than root could have
// made or aimed: for a privileged process acting on paths that run through directories other
// accounts own (guest-configuration file resources under /home, /tmp, /var/...).
//
// The walk starts at a trusted root (the operator's AZCM_ROOT, "/" when installed) and opens one
// component at a time relative to the previous one, never by a path string, so a component
// swapped for a symlink after a check is never followed. A component that is a symbolic link is
// followed only when, like OpenSSH's safe_path() demands of every directory on a path, nobody but
// a trusted account could have made or changed it: the link belongs to root (or to this process's
// own account), and so does the directory holding it, which no group or other user may write. So
// "/bin -> usr/bin" of a merged-/usr system is followed; a link in a user's home directory, or
// one made by a user anywhere, is refused with the reason. A link's target is walked with the
// same rules, ".." never rising above the root (at most 40 links per walk).
//
// Real directories owned by other accounts are traversed (they hold files a policy may manage),
// but their entries are only ever reached through the directory's descriptor; writableByOthers()
// tells the caller that such a directory's entries deserve suspicion (a hard link planted there).
#include "common/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::platform {

#ifdef _WIN32
using NativeHandle = void*;
#else
using NativeHandle = int;
#endif

enum class EntryKind { kRegular, kDirectory, kSymlink, kOther };

struct EntryStatus {
    EntryKind kind = EntryKind::kOther;
    std::uint32_t mode = 0; // permission bits, 07777
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::uint64_t links = 1;
};

// Like lstat(2) of a whole path: a symbolic link is described, not followed; nullopt when there
// is nothing at `path`. For a path the caller trusts up to its last component (the agent's own
// directories).
Result<std::optional<EntryStatus>> pathStatus(const std::filesystem::path& path);

// Mode and group of a directory the walk creates.
struct NewDirectory {
    std::uint32_t mode = 0755;
    std::optional<std::uint32_t> gid;
};

// An open file or directory (never a symlink), for reading and changing its attributes.
class SafeEntry {
public:
    SafeEntry(SafeEntry&& other) noexcept;
    SafeEntry(const SafeEntry&) = delete;
    SafeEntry& operator=(const SafeEntry&) = delete;
    SafeEntry& operator=(SafeEntry&&) = delete;
    ~SafeEntry();

    const EntryStatus& status() const { return status_; }
    // chown first (it may clear set-id bits), then chmod.
    Result<void> setOwner(std::optional<std::uint32_t> uid, std::optional<std::uint32_t> gid);
    Result<void> setMode(std::uint32_t mode);
    Result<std::string> read(std::size_t max_bytes) const; // regular files only

private:
    friend class SafeDirectory;
    SafeEntry(NativeHandle handle, EntryStatus status, std::string shown);
    NativeHandle handle_;
    EntryStatus status_;
    std::string shown_;
};

class SafeDirectory {
public:
    // Opens `relative` (components only: no "." or "..") below `root`. nullopt when a component
    // does not exist; an error naming the component when one is refused or is not a directory.
    static Result<std::optional<SafeDirectory>> open(const std::filesystem::path& root,
                                                     const std::filesystem::path& relative);
    // The same, creating what is missing: intermediate directories with `intermediate`, the last
    // one with `last` (modes and group set on the new directory's descriptor).
    static Result<SafeDirectory> openOrCreate(const std::filesystem::path& root,
                                              const std::filesystem::path& relative,
                                              NewDirectory intermediate,
                                              NewDirectory last);

    SafeDirectory(SafeDirectory&& other) noexcept;
    SafeDirectory(const SafeDirectory&) = delete;
    SafeDirectory& operator=(const SafeDirectory&) = delete;
    SafeDirectory& operator=(SafeDirectory&&) = delete;
    ~SafeDirectory();

    // The directory as the caller named it: "/" + relative.
    const std::string& shownPath() const { return shown_; }
    std::string shownPathOf(std::string_view name) const;
    // Whether an account other than root and this process's own, or a group, may change its
    // entries.
    bool writableByOthers() const { return writable_by_others_; }
    NativeHandle nativeHandle() const { return handle_; }

    // Like lstat: never follows a symlink; nullopt when `name` does not exist.
    Result<std::optional<EntryStatus>> status(const std::string& name) const;
    // Opens `name` itself; a symlink is refused (the message says so), a FIFO never blocks.
    Result<SafeEntry> openEntry(const std::string& name) const;
    // Removes a non-directory entry; a missing one is not an error.
    Result<void> removeFile(const std::string& name) const;
    // Removes a directory, with `recursive` its content too (each level through descriptors,
    // symlinks inside removed, never followed); a missing one is not an error.
    Result<void> removeDirectory(const std::string& name, bool recursive) const;
    // Creates a directory with its final mode and group; an existing directory is kept as is.
    Result<void> makeDirectory(const std::string& name, NewDirectory mode) const;
    // Names of the entries matching a glob(7) pattern (* ? [...]; a leading '.' only matched
    // explicitly), sorted.
    Result<std::vector<std::string>> entriesMatching(std::string_view pattern) const;

private:
    SafeDirectory(NativeHandle handle, std::string shown, bool writable_by_others);
    NativeHandle handle_;
    std::string shown_;
    bool writable_by_others_;
};

} // namespace azcm::platform
