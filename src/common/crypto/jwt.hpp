#pragma once
// Compact JWS with RS256: tokens of the emulator's Entra ID, client assertions of service
// principals with a certificate.
#include "common/crypto/x509.hpp"
#include "common/error.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::crypto {

// header gets "alg":"RS256","typ":"JWT" plus `extra_header` (kid, x5t, ...).
Result<std::string> signJwt(const nlohmann::json& claims,
                            std::string_view private_key_pem,
                            const nlohmann::json& extra_header = nlohmann::json::object());

// The default constructor cannot throw: json's is noexcept, and the throws the check finds are
// inside its body, which they cannot leave.
// NOLINTNEXTLINE(bugprone-exception-escape): noexcept default constructor, see above
struct JwtParts {
    nlohmann::json header;
    nlohmann::json claims;
    std::string signing_input; // base64url(header) "." base64url(claims)
    std::string signature;     // raw
};
// Splits and decodes without verifying.
Result<JwtParts> decodeJwt(std::string_view token);

struct JwtExpectations {
    std::vector<std::string> audiences; // one must match "aud" (empty: not checked)
    std::string issuer;                 // empty: not checked
    SystemTime now = std::chrono::system_clock::now();
    std::chrono::seconds leeway{60};
};
// Verifies the signature with the public key (PEM key or certificate) and exp/nbf/aud/iss.
Result<nlohmann::json>
verifyJwt(std::string_view token, std::string_view public_key_pem, const JwtExpectations& expect);

// A JWK (kty RSA, n, e, kid, use sig, alg RS256, x5t when a certificate is given).
Result<nlohmann::json> rsaPublicJwk(std::string_view public_key_or_cert_pem, std::string_view kid);

} // namespace azcm::crypto
