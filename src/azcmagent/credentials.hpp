#pragma once
// The onboarding credential of connect/disconnect: a service principal with a secret
// or a certificate, or an access token used as it is. Interactive and device-code logins are not
// offered (no browser on a server; the docs recommend service principals for scale).
#include "common/crypto/keys.hpp"
#include "common/error.hpp"

#include <chrono>
#include <iosfwd>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

struct CredentialOptions {
    std::string service_principal_id;
    std::string service_principal_secret;
    std::string service_principal_cert; // path to PEM (key + certificate) or password-less PFX
    std::string access_token;
    std::string tenant_id;
};

struct Credential {
    enum class Kind { kSecret, kCertificate, kAccessToken };
    Kind kind = Kind::kSecret;
    std::string client_id;
    std::string client_secret;
    crypto::KeyAndCertificate certificate;
    std::string access_token;
};

// The value that stands for "read it from standard input", which keeps a secret out of the
// process list (/proc/<pid>/cmdline is readable by every local user).
inline constexpr std::string_view kFromStandardInput = "-";

// The first line of `input` without its line end, as the value of `name`. Nothing there (or no
// input): kMissingParameter; a line longer than 64 KiB: kInvalidArgument.
Result<std::string> readSecretLine(std::istream* input, std::string_view name);

// Replaces a --service-principal-secret or --access-token of "-" by the first line of `input`.
// Only one of them may be "-".
Result<void> readCredentialsFromInput(CredentialOptions& options, std::istream* input);

// The flag combinations alone, reading no file: exactly one method; a service principal needs a
// tenant unless `tenant_may_default` (a cloud config or agentconfig.json will supply one).
Result<void> checkCredentialFlags(const CredentialOptions& options, bool tenant_may_default);

// Exactly one method: -i with -p or --service-principal-cert, or --access-token. None or an
// incomplete one: kMissingParameter; two at once: kInvalidArgument; an unreadable certificate
// file: kInvalidArgument; an access token that is not a JWT: kInvalidAccessToken.
Result<Credential> resolveCredential(const CredentialOptions& options);

// The tenant ("tid") an access token was issued in, empty when it does not say.
std::string tenantOfAccessToken(const std::string& access_token);

// Claims of a client assertion (RFC 7523 as Entra uses it): aud = token URL, iss = sub =
// client ID, random jti, nbf/iat = now, exp = now + 10 minutes.
nlohmann::json clientAssertionClaims(const std::string& client_id,
                                     const std::string& token_url,
                                     std::chrono::system_clock::time_point now);
// The signed RS256 assertion, with x5t and x5t#S256 of the certificate in the header.
Result<std::string> makeClientAssertion(const crypto::KeyAndCertificate& certificate,
                                        const std::string& client_id,
                                        const std::string& token_url,
                                        std::chrono::system_clock::time_point now);

} // namespace azcm::azcmagent
