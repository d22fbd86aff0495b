#pragma once
// Crash-safe file writes (ARCHITECTURE section 2): temp file in the same directory, created with
// its final mode, fsync, rename over the old file, fsync the directory. A reader sees the old file
// or the new one, never a torn one. Nothing is opened through a symlink.
#include "error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace azcm::fs {

struct FileMode {
    mode_t mode = 0600;
    std::optional<gid_t> group; // set on the descriptor before any content is written
};

// Replaces `path` atomically with `content`. When `backup` is set, the previous file (if any) is
// kept as `<path>.bak` (hard link, so it never is a partial copy).
Result<void> writeFileAtomic(const std::filesystem::path& path,
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

// Removes a file; a missing file is not an error.
Result<void> removeFile(const std::filesystem::path& path);

} // namespace azcm::fs
