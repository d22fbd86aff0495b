#include "himds/issued_certificate.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/platform/trust_roots.hpp"

namespace azcm::himds {

namespace {

constexpr std::size_t kMaxBundleBytes = 8 << 20;

} // namespace

CertificateCheck checkIssuedCertificate(std::string_view chain_pem,
                                        std::string_view expected_public_key_der,
                                        std::string_view trust_pem,
                                        crypto::SystemTime now) {
    CertificateCheck check;
    auto leaf = crypto::parseCertificatePem(chain_pem);
    if (!leaf) {
        check.problem = CertificateProblem::kUnreadable;
        check.message = "the certificate cannot be read: " + leaf.error().message;
        return check;
    }
    check.leaf = leaf.value();
    // The key check comes first: a certificate for another key must never be installed, whoever
    // issued it.
    if (check.leaf.public_key_der != expected_public_key_der) {
        check.problem = CertificateProblem::kKeyMismatch;
        check.message = "the certificate does not carry the public key himds generated";
        return check;
    }
    if (auto verified = crypto::verifyCertificateChain(chain_pem, trust_pem, now); !verified) {
        check.problem = CertificateProblem::kUntrusted;
        check.message = "the certificate does not chain to the cloud's trust anchor: " +
                        verified.error().message;
        return check;
    }
    return check;
}

Result<std::string> loadTrustAnchors(const config::CloudConfig& cloud) {
    if (cloud.ca_cert_path.empty()) {
        return platform::systemRootsPem();
    }
    const std::filesystem::path path(cloud.ca_cert_path);
    auto pem = fs::readFile(path, kMaxBundleBytes);
    if (!pem) {
        return makeError(exitcode::kCloudConfig,
                         "cannot read trust anchors " + path.string() + ": " + pem.error().message);
    }
    return pem;
}

} // namespace azcm::himds
