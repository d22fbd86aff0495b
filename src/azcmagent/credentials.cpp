#include "azcmagent/credentials.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/jwt.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"

#include <algorithm>
#include <istream>

namespace azcm::azcmagent {

using nlohmann::json;

namespace {

// Access tokens are a few KiB; anything much longer is not a credential.
constexpr std::size_t kMaxSecretLineBytes = 64 << 10;

} // namespace

Result<std::string> readSecretLine(std::istream* input, std::string_view name) {
    std::string line;
    if (input != nullptr) {
        for (int c = input->get(); c != std::char_traits<char>::eof(); c = input->get()) {
            if (c == '\n') {
                break;
            }
            if (line.size() == kMaxSecretLineBytes) {
                return makeError(exitcode::kInvalidArgument,
                                 std::string(name) + " on standard input is longer than 64 KiB");
            }
            line.push_back(static_cast<char>(c));
        }
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    if (line.empty()) {
        return makeError(exitcode::kMissingParameter,
                         std::string(name) + " is '-' but standard input holds no value");
    }
    return line;
}

Result<void> readCredentialsFromInput(CredentialOptions& options, std::istream* input) {
    const bool secret = options.service_principal_secret == kFromStandardInput;
    const bool token = options.access_token == kFromStandardInput;
    if (secret && token) {
        return makeError(exitcode::kInvalidArgument,
                         "--service-principal-secret and --access-token cannot both be read from "
                         "standard input");
    }
    if (secret) {
        AZCM_ASSIGN_OR_RETURN(options.service_principal_secret,
                              readSecretLine(input, "--service-principal-secret"));
    }
    if (token) {
        AZCM_ASSIGN_OR_RETURN(options.access_token, readSecretLine(input, "--access-token"));
    }
    return ok();
}

Result<void> checkCredentialFlags(const CredentialOptions& options, bool tenant_may_default) {
    const bool has_sp = !options.service_principal_id.empty();
    const bool has_secret = !options.service_principal_secret.empty();
    const bool has_cert = !options.service_principal_cert.empty();
    const bool has_token = !options.access_token.empty();

    if (has_token && (has_sp || has_secret || has_cert)) {
        return makeError(exitcode::kInvalidArgument,
                         "use either --access-token or a service principal, not both");
    }
    if (has_secret && has_cert) {
        return makeError(exitcode::kInvalidArgument,
                         "use either --service-principal-secret or --service-principal-cert, "
                         "not both");
    }
    if (has_token) {
        if (std::count(options.access_token.begin(), options.access_token.end(), '.') != 2) {
            return makeError(exitcode::kInvalidAccessToken,
                             "the --access-token value is not a JWT access token");
        }
        return ok();
    }
    if (!has_sp) {
        if (has_secret || has_cert) {
            return makeError(exitcode::kMissingParameter,
                             "--service-principal-id is required with a service principal "
                             "secret or certificate");
        }
        return makeError(exitcode::kMissingParameter,
                         "no credential given: use --service-principal-id with "
                         "--service-principal-secret or --service-principal-cert, or "
                         "--access-token (interactive and device-code login are not supported)");
    }
    if (!has_secret && !has_cert) {
        return makeError(exitcode::kMissingParameter,
                         "--service-principal-id needs --service-principal-secret or "
                         "--service-principal-cert");
    }
    if (options.tenant_id.empty() && !tenant_may_default) {
        return makeError(exitcode::kMissingParameter,
                         "--tenant-id is required with a service principal");
    }
    return ok();
}

Result<Credential> resolveCredential(const CredentialOptions& options) {
    BOOST_OUTCOME_TRY(checkCredentialFlags(options, false));
    Credential credential;
    if (!options.access_token.empty()) {
        credential.kind = Credential::Kind::kAccessToken;
        credential.access_token = options.access_token;
        return credential;
    }
    const bool has_secret = !options.service_principal_secret.empty();
    credential.client_id = options.service_principal_id;
    if (has_secret) {
        credential.kind = Credential::Kind::kSecret;
        credential.client_secret = options.service_principal_secret;
        return credential;
    }
    auto bytes = fs::readFile(options.service_principal_cert, 1 << 20);
    if (!bytes) {
        return makeError(exitcode::kInvalidArgument, "cannot read --service-principal-cert " +
                                                         options.service_principal_cert + ": " +
                                                         bytes.error().message);
    }
    auto loaded = crypto::loadKeyAndCertificate(bytes.value());
    if (!loaded) {
        return makeError(exitcode::kInvalidArgument,
                         "--service-principal-cert " + options.service_principal_cert +
                             " must hold a private key and a certificate (PEM, or PFX without "
                             "a password): " +
                             loaded.error().message);
    }
    credential.kind = Credential::Kind::kCertificate;
    credential.certificate = std::move(loaded).value();
    return credential;
}

std::string tenantOfAccessToken(const std::string& access_token) {
    auto parts = crypto::decodeJwt(access_token);
    if (!parts) {
        return {};
    }
    const auto& claims = parts.value().claims;
    if (auto it = claims.find("tid"); it != claims.end() && it->is_string()) {
        return it->get<std::string>();
    }
    return {};
}

json clientAssertionClaims(const std::string& client_id,
                           const std::string& token_url,
                           std::chrono::system_clock::time_point now) {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    constexpr long long kLifetimeSeconds = 600;
    return json{{"aud", token_url},
                {"iss", client_id},
                {"sub", client_id},
                {"jti", crypto::randomGuid()},
                {"nbf", seconds},
                {"iat", seconds},
                {"exp", seconds + kLifetimeSeconds}};
}

Result<std::string> makeClientAssertion(const crypto::KeyAndCertificate& certificate,
                                        const std::string& client_id,
                                        const std::string& token_url,
                                        std::chrono::system_clock::time_point now) {
    auto info = crypto::parseCertificatePem(certificate.certificate_pem);
    if (!info) {
        return makeError(exitcode::kInvalidArgument,
                         "cannot read the service principal certificate: " + info.error().message);
    }
    const json header{{"x5t", info.value().thumbprint_sha1_b64url},
                      {"x5t#S256", info.value().thumbprint_sha256_b64url}};
    auto token = crypto::signJwt(clientAssertionClaims(client_id, token_url, now),
                                 certificate.private_key_pem, header);
    if (!token) {
        return makeError(exitcode::kRsaKey,
                         "cannot sign the client assertion: " + token.error().message);
    }
    return token.value();
}

} // namespace azcm::azcmagent
