#include "package_verify.hpp"

#include "crypto/encoding.hpp"
#include "crypto/package_signature.hpp"
#include "handler_codes.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::ext {

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

Error failure(std::string message) {
    return makeError(code::kPackageDownload, std::move(message));
}

// The size is checked on the open descriptor before a byte is read, so an oversized or truncated
// download costs nothing; the bytes then read are exactly the ones hashed and verified.
Result<std::string> readExactly(const std::filesystem::path& path, std::uint64_t expected) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return failure("cannot open package " + path.filename().string() + ": " +
                       std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return failure("package " + path.filename().string() + " is not a regular file");
    }
    if (static_cast<std::uint64_t>(st.st_size) != expected) {
        ::close(fd);
        return failure("package size mismatch: expected " + std::to_string(expected) +
                       " bytes, got " + std::to_string(st.st_size));
    }
    std::string content(static_cast<std::size_t>(expected), '\0');
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::read(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            ::close(fd);
            return failure("package changed while it was read");
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return content;
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

} // namespace azcm::ext
