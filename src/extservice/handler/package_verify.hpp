#pragma once
// Checks a downloaded handler package BEFORE anything opens the zip: its size, its SHA-256, a
// detached CMS signature chained to the configured package-signing root, and that the signature
// names the package the goal state asks for (publisher, type, version; downgrades only when ARM
// asks for the older version). docs/extensions.md, "Packages and signatures".
#include "common/crypto/package_identity.hpp"
#include "common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace azcm::extservice {

struct PackageExpectation {
    std::uint64_t size = 0;
    std::string sha256_hex;    // lower or upper case
    std::string signature_der; // detached CMS SignedData over the zip's bytes
    std::string trusted_root_pem;

    // What the goal state asks for; the signed identity must match it.
    std::string publisher;
    std::string type;
    std::string type_handler_version; // "M.m" (a line) or an exact version
    bool newer_minor_allowed = false; // autoUpgradeMinorVersion or enableAutomaticUpgrade
    std::string install_version;      // the exact version the package is installed as
    std::string installed_version;    // the version on disk now; empty when none
};

struct VerifiedPackage {
    std::string signer; // the signer certificate's common name
    crypto::PackageIdentity identity;
};

// All failures carry code::kPackageDownload (1004) and say which check failed, e.g.
// "package size mismatch: expected 100 bytes, got 99" or "package refused: the package is signed
// for publisher 'Contoso.A'; the goal state asks for 'Contoso.B'".
Result<VerifiedPackage> verifyPackage(const std::filesystem::path& zip,
                                      const PackageExpectation& expected);

} // namespace azcm::extservice
