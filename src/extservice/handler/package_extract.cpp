#include "extservice/handler/package_extract.hpp"

#include "common/archive/zip_extractor.hpp"
#include "common/crypto/encoding.hpp"
#include "common/fs/atomic_file.hpp"
#include "extservice/handler/handler_codes.hpp"
#include "extservice/handler/handler_manifest.hpp"

#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace azcm::extservice {

namespace {

namespace stdfs = std::filesystem;

constexpr std::string_view kTempPrefix = ".extract-";
constexpr std::string_view kManifestName = "HandlerManifest.json";
constexpr std::string_view kBom = "\xEF\xBB\xBF";

Error extractionError(std::string message) {
    return makeError(code::kExtraction, std::move(message));
}

// The shared extractor makes `dir` itself; handler scripts run, so files keep their execute bits.
Result<void>
extractFiles(const stdfs::path& zip, const stdfs::path& dir, const ExtractLimits& limits) {
    auto extracted =
        archive::extractZip(zip, dir, {limits, archive::ExtractedModes::kExecutablePackage});
    if (!extracted) {
        return extractionError(extracted.error().message);
    }
    return ok();
}

// The manifest may sit anywhere in the tree; the shallowest one wins and is copied to the
// base directory without its BOM. It must parse, or the package is refused as a whole.
Result<void> placeManifest(const stdfs::path& dir) {
    std::optional<stdfs::path> found;
    std::error_code ec;
    for (auto it = stdfs::recursive_directory_iterator(dir, ec);
         !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename() == kManifestName && it->is_regular_file(ec) &&
            (!found || it->path().string().size() < found->string().size())) {
            found = it->path();
        }
    }
    if (!found) {
        return makeError(code::kManifestNotFound, "HandlerManifest.json not found in package");
    }
    auto text = fs::readFile(*found, 1 << 20);
    if (!text) {
        return makeError(code::kManifestParse,
                         "cannot read HandlerManifest.json: " + text.error().message);
    }
    std::string content = std::move(text).value();
    if (content.rfind(kBom, 0) == 0) {
        content.erase(0, kBom.size());
    }
    if (auto parsed = parseHandlerManifest(content); !parsed) {
        return parsed.error();
    }
    return fs::writeFileAtomic(dir / kManifestName, content, {0744, {}});
}

} // namespace

bool isExtractionTempDir(const stdfs::path& path) {
    return path.filename().string().rfind(kTempPrefix, 0) == 0;
}

Result<void>
extractPackage(const stdfs::path& zip, const stdfs::path& target_dir, const ExtractLimits& limits) {
    std::error_code ec;
    // Resolve the parent once so no symlink in it can trip SECURE_SYMLINKS (or redirect us).
    const stdfs::path parent = stdfs::weakly_canonical(target_dir.parent_path(), ec);
    if (ec) {
        return extractionError("cannot resolve " + target_dir.parent_path().string());
    }
    const stdfs::path target = parent / target_dir.filename();
    if (stdfs::exists(target, ec)) {
        return extractionError(target.filename().string() + " already exists");
    }
    const stdfs::path temp = parent / (std::string(kTempPrefix) + target.filename().string() + "-" +
                                       crypto::hexEncode(crypto::randomBytes(4)));
    if (auto made = fs::ensureDirectory(parent, {0755, {}}); !made) {
        return extractionError("cannot create " + parent.string() + ": " + made.error().message);
    }
    auto result = extractFiles(zip, temp, limits);
    if (result) {
        result = placeManifest(temp);
    }
    if (result) {
        stdfs::permissions(temp, stdfs::perms(0755), ec);
        // Best effort: a failed sync only weakens what survives a power cut, as before.
        (void)fs::syncDirectory(temp);
        stdfs::rename(temp, target, ec);
        if (ec) {
            result =
                extractionError("cannot move the extracted package into place: " + ec.message());
        } else {
            (void)fs::syncDirectory(parent);
        }
    }
    if (!result) {
        stdfs::remove_all(temp, ec);
    }
    return result;
}

} // namespace azcm::extservice
