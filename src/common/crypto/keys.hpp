#pragma once
#include "common/error.hpp"

#include <string>
#include <string_view>

namespace azcm::crypto {

// RSA private key, PKCS#8 PEM.
Result<std::string> generateRsaPrivateKeyPem(int bits = 2048);
// SubjectPublicKeyInfo of a private key or public key PEM, DER bytes.
Result<std::string> publicKeyDer(std::string_view key_pem);
// SubjectPublicKeyInfo PEM of a private key PEM.
Result<std::string> publicKeyPem(std::string_view private_key_pem);

// PKCS#10 request signed with the key, subject CN = common_name.
Result<std::string> createCsrPem(std::string_view private_key_pem, std::string_view common_name);
struct CsrInfo {
    std::string common_name;
    std::string public_key_der;
};
// Parses a CSR and verifies its self-signature.
Result<CsrInfo> parseCsr(std::string_view csr_pem);

// RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
Result<std::string> signSha256(std::string_view private_key_pem, std::string_view data);
Result<void> verifySha256(std::string_view public_key_pem_or_cert_pem,
                          std::string_view data,
                          std::string_view signature);

// A PKCS#12 (PFX) file without password, or a PEM holding a key and certificate(s).
struct KeyAndCertificate {
    std::string private_key_pem;
    std::string certificate_pem; // leaf first, then any chain
};
Result<KeyAndCertificate> loadKeyAndCertificate(std::string_view file_bytes);

} // namespace azcm::crypto
