#include "package_cache.hpp"

#include "crypto/cms.hpp"
#include "crypto/encoding.hpp"
#include "engine.hpp"
#include "fs/atomic_file.hpp"
#include "log/log.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include <spdlog/spdlog.h>

namespace azcm::gc {

namespace {

constexpr fs::FileMode kPrivateDir{0700, {}};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// The hash names a directory: only 64 hex digits may do so.
bool isSha256Hex(const std::string& text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(),
                                            [](unsigned char c) { return std::isxdigit(c) != 0; });
}

Result<std::string> readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return makeError(exitcode::kGeneric, "cannot read " + path.string());
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::filesystem::path packagesDir(const Paths& paths) {
    return paths.guestConfigStateDir() / "packages";
}

} // namespace

Result<void> verifyPackageFile(const std::filesystem::path& zip,
                               const PackageRef& expected,
                               const std::string& trusted_root_pem) {
    BOOST_OUTCOME_TRY(bytes, readFile(zip));
    if (bytes.size() != expected.size) {
        return makeError(exitcode::kGeneric, "size mismatch: expected " +
                                                 std::to_string(expected.size) + " bytes, got " +
                                                 std::to_string(bytes.size()));
    }
    const std::string digest = crypto::hexEncode(crypto::sha256(bytes));
    if (digest != lower(expected.sha256)) {
        return makeError(exitcode::kGeneric,
                         "sha256 mismatch: expected " + lower(expected.sha256) + ", got " + digest);
    }
    if (trusted_root_pem.empty()) {
        return makeError(exitcode::kGeneric, "signature: no package-signing root is configured "
                                             "(cloud packageSigningRootPath)");
    }
    auto signature = crypto::base64Decode(expected.signature_base64);
    if (!signature) {
        return makeError(exitcode::kGeneric, "signature: not base64");
    }
    auto signer = crypto::verifyDetachedCms(bytes, signature.value(), trusted_root_pem);
    if (!signer) {
        return makeError(exitcode::kGeneric, "signature: " + signer.error().message);
    }
    return ok();
}

Result<std::filesystem::path> preparePackage(ControlPlane& control_plane,
                                             const Paths& paths,
                                             const PackageRef& package,
                                             const std::string& trusted_root_pem) {
    const std::string sha = lower(package.sha256);
    if (!isSha256Hex(sha)) {
        return makeError(exitcode::kGeneric, "the package's sha256 is not 64 hex digits");
    }
    const auto final_dir = packagesDir(paths) / sha;
    std::error_code ec;
    if (std::filesystem::is_directory(final_dir, ec)) {
        return final_dir;
    }
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.guestConfigStateDir(), kPrivateDir));
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.guestConfigStateDir() / "downloads", kPrivateDir));
    BOOST_OUTCOME_TRY(fs::ensureDirectory(packagesDir(paths), kPrivateDir));
    const auto zip = paths.guestConfigStateDir() / "downloads" / (sha + ".zip");
    BOOST_OUTCOME_TRY(control_plane.download(package.url, zip, kMaxPackageBytes));
    auto verified = verifyPackageFile(zip, package, trusted_root_pem);
    if (!verified) {
        std::filesystem::remove(zip, ec);
        return verified.error();
    }
    const auto staging = packagesDir(paths) / (sha + ".partial");
    std::filesystem::remove_all(staging, ec);
    auto extracted = extractPackage(zip, staging);
    std::filesystem::remove(zip, ec);
    if (!extracted) {
        std::filesystem::remove_all(staging, ec);
        return makeError(exitcode::kGeneric, "extraction: " + extracted.error().message);
    }
    std::filesystem::rename(staging, final_dir, ec);
    if (ec) {
        return makeError(exitcode::kGeneric, "cannot move the package into place: " + ec.message());
    }
    spdlog::info("GC_PACKAGE_READY sha256={}", sha);
    return final_dir;
}

void removeUnusedPackages(const Paths& paths, const GcState& state) {
    std::set<std::string> used;
    for (const auto& assignment : state.assignments) {
        if (assignment.package) {
            used.insert(lower(assignment.package->sha256));
        }
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(packagesDir(paths), ec)) {
        if (!used.contains(entry.path().filename().string())) {
            std::filesystem::remove_all(entry.path(), ec);
        }
    }
}

} // namespace azcm::gc
