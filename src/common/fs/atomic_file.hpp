#pragma once
// Crash-safe file writes (docs/architecture.md): temp file in the same directory, created with
// its final mode, fsync, rename over the old file, fsync the directory. A reader sees the old file
// or the new one, never a torn one. Nothing is opened through a symlink.
//
// Writers of one file serialise on an flock of ".<name>.lock" beside it (created by the writer,
// refused when another account owns it, removed by the holder when done). Under that lock a writer
// first removes the ".<name>.tmp-*" files that killed writers left, so a killed writer's litter
// lasts only until the next write of the same file.
#include "common/error.hpp"
#include "common/platform/os_types.hpp"
#include "common/platform/safe_path.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace azcm::fs {

struct FileMode {
    platform::FileMode mode = 0600;
    std::optional<platform::GroupId> group; // set on the descriptor before any content is written
};

// Replaces `path` atomically with `content`. When `backup` is set, the previous file (if any) is
// kept as `<path>.bak`: a hard link made under a temp name and renamed over the old backup, so a
// backup exists at every moment and is never a partial copy.
Result<void> writeFileAtomic(const std::filesystem::path& path,
                             std::string_view content,
                             FileMode mode = {},
                             bool backup = false);

// The same, for `name` in a directory reached through platform::SafeDirectory: every step goes
// through the directory's descriptor, never through its path.
Result<void> writeFileAtomic(const platform::SafeDirectory& dir,
                             const std::string& name,
                             std::string_view content,
                             FileMode mode = {},
                             bool backup = false);

// Whether a new file is flushed to disk before it is used. Volatile suits files that are useless
// after a crash anyway (one-time challenge keys) and must be cheap to create.
enum class Durability { kSynced, kVolatile };

// Creates a new file that must not exist yet (O_EXCL|O_NOFOLLOW) with its final mode and group.
Result<void> createExclusive(const std::filesystem::path& path,
                             std::string_view content,
                             FileMode mode = {},
                             Durability durability = Durability::kSynced);

// Reads a regular file without following a symlink at the last component; bounded in size.
Result<std::string> readFile(const std::filesystem::path& path, std::size_t max_bytes = 16 << 20);

// mkdir -p, then the last component gets `mode` (and group) if it was created by this call.
Result<void> ensureDirectory(const std::filesystem::path& path, FileMode mode = {0755, {}});

// Reads a regular file (never through a symbolic link) that must hold exactly `expected` bytes.
// The size is checked on the open file before a byte is read, so an oversized download costs
// nothing, and the bytes returned are the ones read ("size mismatch: expected N bytes, got M").
Result<std::string> readFileOfSize(const std::filesystem::path& path, std::uint64_t expected);

// Removes a file; a missing file is not an error.
Result<void> removeFile(const std::filesystem::path& path);

// Renames `from` to `to` (replacing it) and syncs the directory of `to`, so that after a crash
// the new name holds the new content. Both must be in the same file system.
Result<void> renameDurably(const std::filesystem::path& from, const std::filesystem::path& to);

// Syncs a directory's entries (names created, renamed or removed in it) to disk.
Result<void> syncDirectory(const std::filesystem::path& directory);

} // namespace azcm::fs
