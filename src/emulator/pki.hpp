#pragma once
// The emulator's key material, created on first start and reused afterwards: a CA (issuer of the
// TLS certificate and of machine certificates), the TLS server certificate for 127.0.0.1, ::1 and
// localhost, and the RS256 key that signs access tokens.
#include "common/error.hpp"
#include "emulator/data_dir.hpp"
#include "emulator/emulator_clock.hpp"
#include "emulator/package_store.hpp"

#include <filesystem>
#include <string>

namespace azcm::emulator {

struct EmulatorPki {
    std::string ca_key_pem;
    std::string ca_cert_pem;
    std::string tls_key_pem;
    std::string tls_cert_pem; // leaf only
    std::string signing_key_pem;
    std::string signing_public_pem;
    std::string signing_kid;
    std::filesystem::path ca_cert_path; // absolute
    PackageSigner package_signer;       // signs extension, guest configuration and agent packages
};

// Loads the material from `dir`, creating what is missing; the TLS certificate is re-issued when
// it lapses within 30 days or no longer chains to the CA.
Result<EmulatorPki> loadOrCreatePki(const DataDir& dir, SystemTime now);

// Key id published in the JWKS: base64url SHA-1 of the public key's DER.
Result<std::string> keyIdFor(const std::string& private_key_pem);

} // namespace azcm::emulator
