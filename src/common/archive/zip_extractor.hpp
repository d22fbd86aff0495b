#pragma once
// The one extractor of downloaded zips (extension handler packages, guest-configuration
// packages). An archive is hostile until proven otherwise: every entry name is checked before
// anything is written, only regular files and directories are created, and sizes are counted
// while streaming rather than trusted from the archive's directory.
#include "common/error.hpp"

#include <cstdint>
#include <filesystem>

namespace azcm::archive {

struct ZipLimits {
    std::uint64_t max_entry_bytes = 1ULL << 30; // one file
    std::uint64_t max_total_bytes = 2ULL << 30; // all files (the real agent's 2 GB unzip limit)
    std::uint64_t max_entries = 10'000;
};

// The modes extracted entries get; the zip's own permission bits never add group or world write,
// set-id or sticky bits.
enum class ExtractedModes {
    // Handler packages run their scripts: directories 0755, files keep their read and execute
    // bits for group and others and always get u+rwx.
    kExecutablePackage,
    // Data only root reads: directories 0700, files 0600.
    kPrivateData,
};

struct ZipExtraction {
    ZipLimits limits;
    ExtractedModes modes = ExtractedModes::kPrivateData;
};

// Extracts `zip` into `dir`, which must not exist (its parent must); `dir` itself is made 0700.
// Refused, with nothing left behind (`dir` is removed): a zip libarchive cannot read, an entry
// name that is empty, absolute, holds a backslash or a ".." component, a symbolic or hard link, a
// device, FIFO or socket, two entries with the same file name, and an entry, a total or an entry
// count over `limits`. Files and directories are created through directory descriptors, never
// following a link, each file exclusively. Errors carry exitcode::kGeneric; callers map them.
Result<void> extractZip(const std::filesystem::path& zip,
                        const std::filesystem::path& dir,
                        const ZipExtraction& options);

} // namespace azcm::archive
