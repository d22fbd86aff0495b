// JSON Web Tokens from outside the process (access tokens given to the CLI, tokens the identity
// service and Entra answer with): decoded without verification, and verified with a fixed key;
// nothing verifies unless signed with RS256 by that key.
#include "common/crypto/jwt.hpp"
#include "crypto_data.hpp"
#include "fuzz_support.hpp"

#include <chrono>

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    (void)azcm::fuzz::fuzzPki();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto token = azcm::fuzz::asText(data, size);
    if (auto parts = azcm::crypto::decodeJwt(token); parts) {
        AZCM_FUZZ_CHECK(parts.value().header.is_object());
        AZCM_FUZZ_CHECK(parts.value().claims.is_object());
    }
    azcm::crypto::JwtExpectations expect;
    expect.audiences = {"https://management.azure.com/"};
    expect.issuer = "https://fuzz.example/";
    // 2030-01-01, before the seed token's expiry.
    expect.now = std::chrono::system_clock::from_time_t(1893456000);
    auto claims = azcm::crypto::verifyJwt(token, azcm::fuzz::fuzzPki().signer_pem, expect);
    if (claims) {
        AZCM_FUZZ_CHECK(claims.value().is_object());
    }
    return 0;
}
