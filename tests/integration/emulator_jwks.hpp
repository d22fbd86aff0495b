#pragma once
// Verifies a token of the emulator's Entra ID the way a resource server does: the tenant's OpenID
// configuration names the JWKS, the key with the token's `kid` is rebuilt from its n and e, and the
// RS256 signature, lifetime, issuer and audience are checked against it.
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::test {

// `cloud` is the emulator's cloud.json. Returns the verified claims; throws std::runtime_error
// naming what failed.
nlohmann::json verifyEmulatorToken(const nlohmann::json& cloud,
                                   const std::string& token,
                                   const std::string& audience);

} // namespace azcm::test
