#include "extservice/handler/package_verify.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/package_signature.hpp"
#include "common/fs/atomic_file.hpp"
#include "extservice/handler/handler_codes.hpp"

#include <algorithm>
#include <cctype>

namespace azcm::extservice {

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

Error failure(std::string message) {
    return makeError(code::kPackageDownload, std::move(message));
}

// The size is checked before a byte is read (fs::readFileOfSize); the bytes then read are
// exactly the ones hashed and verified.
Result<std::string> readExactly(const std::filesystem::path& path, std::uint64_t expected) {
    auto content = fs::readFileOfSize(path, expected);
    if (!content) {
        return failure("package " + path.filename().string() + ": " + content.error().message);
    }
    return std::move(content).value();
}

} // namespace

Result<VerifiedPackage> verifyPackage(const std::filesystem::path& zip,
                                      const PackageExpectation& expected) {
    auto content = readExactly(zip, expected.size);
    if (!content) {
        return content.error();
    }
    const std::string actual = crypto::hexEncode(crypto::sha256(content.value()));
    if (actual != lower(expected.sha256_hex)) {
        return failure("package SHA-256 mismatch: expected " + lower(expected.sha256_hex) +
                       ", got " + actual);
    }
    if (expected.signature_der.empty()) {
        return failure("package signature missing");
    }
    if (expected.trusted_root_pem.empty()) {
        return failure("no package signing root configured; refusing unsigned trust");
    }
    auto signed_package = crypto::verifyPackageSignature(content.value(), expected.signature_der,
                                                         expected.trusted_root_pem);
    if (!signed_package) {
        return failure("package signature invalid: " + signed_package.error().message);
    }
    crypto::PackageRequest request;
    request.kind = std::string(crypto::kPackageKindExtension);
    request.publisher = expected.publisher;
    request.name = expected.type;
    request.requested_version = expected.type_handler_version;
    request.newer_minor_allowed = expected.newer_minor_allowed;
    request.package_version = expected.install_version;
    request.installed_version = expected.installed_version;
    if (auto matches = crypto::checkPackageIdentity(signed_package.value().identity, request);
        !matches) {
        return failure("package refused: " + matches.error().message);
    }
    return VerifiedPackage{std::move(signed_package.value().signer_common_name),
                           std::move(signed_package.value().identity)};
}

} // namespace azcm::extservice
