#pragma once
#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::crypto {

using SystemTime = std::chrono::system_clock::time_point;

struct CertificateInfo {
    std::string subject_common_name;
    std::string issuer_common_name;
    std::string serial_hex;          // as stored, big-endian hex; "-..." if negative
    std::string thumbprint_sha1_hex; // upper case hex of SHA-1 of the DER (Windows style)
    std::string thumbprint_sha256_b64url;
    std::string thumbprint_sha1_b64url; // x5t
    SystemTime not_before;
    SystemTime not_after;
    std::string public_key_der;
    std::string der;
};

Result<CertificateInfo> parseCertificatePem(std::string_view pem); // first certificate in the PEM
Result<CertificateInfo> parseCertificateDer(std::string_view der);
// Every certificate in a PEM bundle, in order.
Result<std::vector<std::string>> splitPemCertificates(std::string_view pem);
std::string derToPem(std::string_view der);

enum class CertificateUsage { kServer, kClient, kCa };

struct IssueRequest {
    std::string subject_common_name;
    std::string subject_public_key_der;    // SubjectPublicKeyInfo DER
    std::vector<std::string> dns_names;    // SANs, kServer
    std::vector<std::string> ip_addresses; // SANs, kServer
    CertificateUsage usage = CertificateUsage::kClient;
    std::chrono::seconds lifetime{std::chrono::hours(24 * 90)};
    SystemTime not_before = std::chrono::system_clock::now() - std::chrono::minutes(5);
};

// Issues a certificate signed by the CA key, with a random positive 128-bit serial.
Result<std::string> issueCertificatePem(std::string_view ca_certificate_pem,
                                        std::string_view ca_private_key_pem,
                                        const IssueRequest& request);
// A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign|cRLSign).
Result<std::string> createSelfSignedCaPem(std::string_view private_key_pem,
                                          std::string_view common_name,
                                          std::chrono::seconds lifetime);

// RFC 5280 path validation of `chain_pem` (leaf first, then intermediates) up to one of the trust
// anchors in `trust_pem`, at time `at`, with RFC 5280's profile checks (X509_STRICT). Every
// certificate of the path passes the certificate policy (certificate_policy.hpp).
// When `host` is not empty, the leaf must match it (DNS name or IP address).
Result<void> verifyCertificateChain(std::string_view chain_pem,
                                    std::string_view trust_pem,
                                    SystemTime at = std::chrono::system_clock::now(),
                                    std::string_view host = {});

} // namespace azcm::crypto
