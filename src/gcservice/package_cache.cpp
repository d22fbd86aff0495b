#include "gcservice/package_cache.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/package_signature.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/log/log.hpp"
#include "gcservice/engine/engine.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

namespace azcm::gcservice {

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

std::filesystem::path packagesDir(const Paths& paths) {
    return paths.guestConfigStateDir() / "packages";
}

constexpr std::string_view kIdentitySuffix = ".identity.json";
constexpr std::size_t kMaxIdentityBytes = 4096;

std::filesystem::path identityFile(const Paths& paths, const std::string& sha) {
    return packagesDir(paths) / (sha + std::string(kIdentitySuffix));
}

nlohmann::json identityJson(const crypto::PackageIdentity& identity) {
    return {{"kind", identity.kind},
            {"publisher", identity.publisher},
            {"name", identity.name},
            {"version", identity.version}};
}

// The identity stored beside an extracted package; an error when it is missing or malformed.
Result<crypto::PackageIdentity> readIdentity(const std::filesystem::path& path) {
    BOOST_OUTCOME_TRY(text, fs::readFile(path, kMaxIdentityBytes));
    BOOST_OUTCOME_TRY(document, jsondoc::parse(text, path.string(), {kMaxIdentityBytes}));
    crypto::PackageIdentity identity;
    for (auto [key, field] :
         {std::pair{"kind", &identity.kind}, std::pair{"publisher", &identity.publisher},
          std::pair{"name", &identity.name}, std::pair{"version", &identity.version}}) {
        if (!document.is_object() || !document.contains(key) || !document.at(key).is_string()) {
            return makeError(exitcode::kGeneric, path.string() + ": '" + key + "' is missing");
        }
        *field = document.at(key).get<std::string>();
    }
    return identity;
}

Result<void> checkIdentity(const crypto::PackageIdentity& identity,
                           const crypto::PackageRequest& request) {
    if (auto matches = crypto::checkPackageIdentity(identity, request); !matches) {
        return makeError(exitcode::kGeneric, matches.error().message); // names the field
    }
    return ok();
}

} // namespace

crypto::PackageRequest packageRequestFor(const AssignmentState& assignment) {
    crypto::PackageRequest request;
    request.kind = std::string(crypto::kPackageKindGuestConfiguration);
    request.name = assignment.configuration_name;
    request.requested_version = assignment.version;
    request.installed_version = assignment.package_version;
    return request;
}

Result<crypto::PackageIdentity> verifyPackageFile(const std::filesystem::path& zip,
                                                  const PackageRef& expected,
                                                  const crypto::PackageRequest& request,
                                                  const std::string& trusted_root_pem) {
    BOOST_OUTCOME_TRY(bytes, fs::readFileOfSize(zip, expected.size));
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
    auto signed_package =
        crypto::verifyPackageSignature(bytes, signature.value(), trusted_root_pem);
    if (!signed_package) {
        return makeError(exitcode::kGeneric, "signature: " + signed_package.error().message);
    }
    BOOST_OUTCOME_TRY(checkIdentity(signed_package.value().identity, request));
    return std::move(signed_package.value().identity);
}

Result<PreparedPackage> preparePackage(ControlPlane& control_plane,
                                       const Paths& paths,
                                       const PackageRef& package,
                                       const crypto::PackageRequest& request,
                                       const std::string& trusted_root_pem) {
    const std::string sha = lower(package.sha256);
    if (!isSha256Hex(sha)) {
        return makeError(exitcode::kGeneric, "the package's sha256 is not 64 hex digits");
    }
    const auto final_dir = packagesDir(paths) / sha;
    const auto identity_file = identityFile(paths, sha);
    std::error_code ec;
    if (std::filesystem::is_directory(final_dir, ec)) {
        // Extracted earlier, perhaps for another assignment: what it was signed as must be what
        // this one asks for. Without its identity it is extracted again from a fresh download.
        if (auto identity = readIdentity(identity_file)) {
            BOOST_OUTCOME_TRY(checkIdentity(identity.value(), request));
            return PreparedPackage{final_dir, std::move(identity).value()};
        }
        std::filesystem::remove_all(final_dir, ec);
    }
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.guestConfigStateDir(), kPrivateDir));
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.guestConfigStateDir() / "downloads", kPrivateDir));
    BOOST_OUTCOME_TRY(fs::ensureDirectory(packagesDir(paths), kPrivateDir));
    const auto zip = paths.guestConfigStateDir() / "downloads" / (sha + ".zip");
    BOOST_OUTCOME_TRY(control_plane.download(package.url, zip, kMaxPackageBytes));
    auto verified = verifyPackageFile(zip, package, request, trusted_root_pem);
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
    // The identity before the directory: a directory in place always has its identity.
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(identity_file, identityJson(verified.value()).dump(),
                                          fs::FileMode{0600, {}}));
    std::filesystem::rename(staging, final_dir, ec);
    if (ec) {
        return makeError(exitcode::kGeneric, "cannot move the package into place: " + ec.message());
    }
    spdlog::info("GC_PACKAGE_READY sha256={} name={} version={}", sha,
                 log::sanitize(verified.value().name), log::sanitize(verified.value().version));
    return PreparedPackage{final_dir, std::move(verified).value()};
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
        auto name = entry.path().filename().string();
        if (name.size() > kIdentitySuffix.size() && name.ends_with(kIdentitySuffix)) {
            name.resize(name.size() - kIdentitySuffix.size()); // kept with its package
        }
        if (!used.contains(name)) {
            std::filesystem::remove_all(entry.path(), ec);
        }
    }
}

} // namespace azcm::gcservice
