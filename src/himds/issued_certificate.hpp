#pragma once
// Checks a machine certificate the identity service issued (at activation and after renewal):
// it must carry our public key and chain to the cloud's trust anchor.
#include "common/config/cloud_config.hpp"
#include "common/crypto/x509.hpp"
#include "common/error.hpp"

#include <string>
#include <string_view>

namespace azcm::himds {

enum class CertificateProblem { kNone, kUnreadable, kKeyMismatch, kUntrusted };

struct CertificateCheck {
    CertificateProblem problem = CertificateProblem::kNone;
    std::string message;
    crypto::CertificateInfo leaf;
};

CertificateCheck checkIssuedCertificate(std::string_view chain_pem,
                                        std::string_view expected_public_key_der,
                                        std::string_view trust_pem,
                                        crypto::SystemTime now);

// The trust anchors for certificates of the cloud: the PEM file at cloud.caCertPath, else the
// system CA bundle.
Result<std::string> loadTrustAnchors(const config::CloudConfig& cloud);

} // namespace azcm::himds
