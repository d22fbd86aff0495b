#pragma once
// Checks a downloaded handler package BEFORE anything opens the zip (issue 5 item 2): its size,
// its SHA-256, and a detached CMS signature chained to the configured package-signing root.
#include "error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace azcm::ext {

struct PackageExpectation {
    std::uint64_t size = 0;
    std::string sha256_hex;    // lower or upper case
    std::string signature_der; // detached CMS SignedData over the zip's bytes
    std::string trusted_root_pem;
};

// All failures carry code::kPackageDownload (1004) and say which check failed, e.g.
// "package size mismatch: expected 100 bytes, got 99". Returns the signer's common name.
Result<std::string> verifyPackage(const std::filesystem::path& zip,
                                  const PackageExpectation& expected);

} // namespace azcm::ext
