#pragma once
// Safe extraction of a handler package with libarchive (the WALinuxAgent handler package layout).
#include "error.hpp"

#include <cstdint>
#include <filesystem>

namespace azcm::ext {

struct ExtractLimits {
    std::uint64_t max_entry_bytes = 1ULL << 30; // one file
    std::uint64_t max_total_bytes = 2ULL << 30; // all files (the real agent's 2 GB unzip limit)
    std::uint64_t max_entries = 10'000;
};

// Extracts `zip` into a fresh temporary directory beside `target_dir`, then renames it to
// `target_dir` (which must not exist). Refuses absolute paths, "..", links of any kind, device
// files, and entries over the limits; on refusal nothing is left behind. Every file gets u+x.
// HandlerManifest.json is searched for anywhere in the tree, its BOM removed, and copied to
// `target_dir/HandlerManifest.json`; none -> code::kManifestNotFound. Other failures carry
// code::kExtraction (1005).
Result<void> extractPackage(const std::filesystem::path& zip,
                            const std::filesystem::path& target_dir,
                            const ExtractLimits& limits = {});

// Temp directories extractPackage leaves only when it is killed: "<parent>/.extract-*".
bool isExtractionTempDir(const std::filesystem::path& path);

} // namespace azcm::ext
