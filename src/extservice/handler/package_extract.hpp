#pragma once
// Safe extraction of a handler package with libarchive (the WALinuxAgent handler package layout).
#include "common/archive/zip_extractor.hpp"
#include "common/error.hpp"

#include <cstdint>
#include <filesystem>

namespace azcm::extservice {

using ExtractLimits = archive::ZipLimits;

// Extracts `zip` into a fresh temporary directory beside `target_dir`, then renames it to
// `target_dir` (which must not exist). archive::extractZip refuses every hostile entry; on refusal
// nothing is left behind. Every file gets u+x.
// HandlerManifest.json is searched for anywhere in the tree, its BOM removed, and copied to
// `target_dir/HandlerManifest.json`; none -> code::kManifestNotFound. Other failures carry
// code::kExtraction (1005).
Result<void> extractPackage(const std::filesystem::path& zip,
                            const std::filesystem::path& target_dir,
                            const ExtractLimits& limits = {});

// Temp directories extractPackage leaves only when it is killed: "<parent>/.extract-*".
bool isExtractionTempDir(const std::filesystem::path& path);

} // namespace azcm::extservice
