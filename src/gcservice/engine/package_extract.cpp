// Guest-configuration packages are data root reads: extracted by the shared extractor with
// private modes (files 0600, directories 0700), whatever the zip says.
#include "common/archive/zip_extractor.hpp"
#include "gcservice/engine/engine.hpp"

namespace azcm::gcservice {

Result<void> extractPackage(const std::filesystem::path& zip,
                            const std::filesystem::path& dir,
                            std::uint64_t max_bytes) {
    archive::ZipExtraction options;
    options.limits.max_total_bytes = max_bytes;
    options.limits.max_entry_bytes = max_bytes;
    options.modes = archive::ExtractedModes::kPrivateData;
    auto extracted = archive::extractZip(zip, dir, options);
    if (!extracted) {
        return makeError(exitcode::kInvalidArgument,
                         "package extraction: " + extracted.error().message);
    }
    return ok();
}

} // namespace azcm::gcservice
