#include "emulator/entra_service.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/jwt.hpp"
#include "common/crypto/x509.hpp"
#include "emulator/http_util.hpp"
#include "emulator/token_service.hpp"

#include <openssl/crypto.h>

namespace azcm::emulator {

using nlohmann::json;

namespace {

constexpr std::string_view kJwtBearerType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr std::string_view kDefaultSuffix = "/.default";

struct EntraError {
    http::Status status;
    std::string error;
    int code;
    std::string description;
};

http::Response
entraError(const ServiceContext& context, const http::Request& request, const EntraError& failure) {
    const auto now = context.clock();
    const std::string trace_id = crypto::randomGuid();
    const std::string correlation_id = crypto::randomGuid();
    const std::string timestamp = entraTimestamp(now);
    const std::string description = "AADSTS" + std::to_string(failure.code) + ": " +
                                    failure.description + " Trace ID: " + trace_id +
                                    " Correlation ID: " + correlation_id +
                                    " Timestamp: " + timestamp;
    return jsonResponse(
        request, failure.status,
        json{{"error", failure.error},
             {"error_description", description},
             {"error_codes", json::array({failure.code})},
             {"timestamp", timestamp},
             {"trace_id", trace_id},
             {"correlation_id", correlation_id},
             {"error_uri", context.base_url + "/error?code=" + std::to_string(failure.code)}});
}

bool constantTimeEquals(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool isAlias(const std::string& segment) {
    return equalsIgnoreCase(segment, "common") || equalsIgnoreCase(segment, "organizations");
}

std::string stringClaim(const json& object, const char* key) {
    return object.contains(key) && object.at(key).is_string() ? object.at(key).get<std::string>()
                                                              : std::string();
}

// The assertion's audience must be a token endpoint of this tenant; the host part may differ
// (localhost vs 127.0.0.1, alias tenants), as clients build it from the metadata they fetched.
bool assertionAudienceMatches(const std::string& audience,
                              const std::string& tenant_id,
                              const std::string& tenant_segment) {
    const auto scheme = audience.find("://");
    if (scheme == std::string::npos) {
        return false;
    }
    const auto slash = audience.find('/', scheme + 3);
    std::string path = slash == std::string::npos ? std::string() : audience.substr(slash);
    path = path.substr(0, path.find('?'));
    auto segments = pathSegments(path);
    if (!segments || segments.value().size() < 3) {
        return false;
    }
    const auto& parts = segments.value();
    const auto& tenant = parts.front();
    const bool tenant_ok = equalsIgnoreCase(tenant, tenant_id) ||
                           equalsIgnoreCase(tenant, tenant_segment) || isAlias(tenant);
    const bool v2 = parts.size() == 4 && equalsIgnoreCase(parts[1], "oauth2") &&
                    equalsIgnoreCase(parts[2], "v2.0") && equalsIgnoreCase(parts[3], "token");
    const bool v1 = parts.size() == 3 && equalsIgnoreCase(parts[1], "oauth2") &&
                    equalsIgnoreCase(parts[2], "token");
    return tenant_ok && (v1 || v2);
}

} // namespace

std::optional<std::string> EntraService::resolveTenant(const std::string& segment) {
    auto settings = context_.store.settings();
    if (!settings) {
        return std::nullopt;
    }
    if (isAlias(segment) || equalsIgnoreCase(segment, settings.value().tenant_id)) {
        return settings.value().tenant_id;
    }
    return std::nullopt;
}

std::optional<http::Response>
EntraService::handle(const http::Request& request,
                     const std::vector<std::string>& segments,
                     const std::map<std::string, std::string>& query) {
    const auto is = [&](std::size_t index, std::string_view value) {
        return segments.size() > index && equalsIgnoreCase(segments[index], value);
    };
    const bool get = request.method() == http::Verb::get;
    const bool post = request.method() == http::Verb::post;
    if (segments.size() == 4 && is(1, "oauth2") && is(2, "v2.0") && is(3, "token")) {
        if (!post) {
            return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                                 "The token endpoint accepts POST only.");
        }
        return token(request, segments[0]);
    }
    if (segments.size() == 4 && is(1, "v2.0") && is(2, ".well-known") &&
        is(3, "openid-configuration") && get) {
        return openIdConfiguration(request, segments[0]);
    }
    if (segments.size() == 4 && is(1, "discovery") && is(2, "v2.0") && is(3, "keys") && get) {
        return keys(request);
    }
    if (segments.size() == 3 && is(0, "common") && is(1, "discovery") && is(2, "keys") && get) {
        return keys(request);
    }
    if (segments.size() == 3 && is(0, "common") && is(1, "discovery") && is(2, "instance") && get) {
        return instanceDiscovery(request, query);
    }
    return std::nullopt;
}

http::Response EntraService::token(const http::Request& request,
                                   const std::string& tenant_segment) {
    const auto tenant = resolveTenant(tenant_segment);
    if (!tenant) {
        return entraError(context_, request,
                          {http::Status::bad_request, "invalid_request", 90002,
                           "Tenant '" + tenant_segment +
                               "' not found. Check to make sure you have the correct tenant ID "
                               "and are signing into the correct cloud."});
    }
    auto form = parseForm(request.body());
    if (!form) {
        return entraError(context_, request,
                          {http::Status::bad_request, "invalid_request", 900144,
                           "The request body must be application/x-www-form-urlencoded."});
    }
    const auto& fields = form.value();
    const auto field = [&](const char* key) {
        const auto it = fields.find(key);
        return it == fields.end() ? std::string() : it->second;
    };
    const auto missing = [&](const char* key) {
        return entraError(
            context_, request,
            {http::Status::bad_request, "invalid_request", 900144,
             std::string("The request body must contain the following parameter: '") + key + "'."});
    };
    const std::string grant_type = field("grant_type");
    if (grant_type.empty()) {
        return missing("grant_type");
    }
    if (grant_type != "client_credentials") {
        return entraError(context_, request,
                          {http::Status::bad_request, "unsupported_grant_type", 70003,
                           "The app requested an unsupported grant type '" + grant_type + "'."});
    }
    const std::string client_id = field("client_id");
    if (client_id.empty()) {
        return missing("client_id");
    }
    const std::string scope = field("scope");
    if (scope.empty()) {
        return missing("scope");
    }
    if (scope.find(' ') != std::string::npos || scope.size() <= kDefaultSuffix.size() ||
        scope.compare(scope.size() - kDefaultSuffix.size(), kDefaultSuffix.size(),
                      kDefaultSuffix) != 0) {
        return entraError(context_, request,
                          {http::Status::bad_request, "invalid_scope", 1002012,
                           "The provided value for scope " + scope +
                               " is not valid. Client credential flows must have a scope value "
                               "with /.default suffixed to the resource identifier (application "
                               "ID URI)."});
    }
    const std::string audience = scope.substr(0, scope.size() - kDefaultSuffix.size());

    auto found = context_.store.findServicePrincipal(client_id);
    if (!found) {
        return errorResponse(request, http::Status::internal_server_error, "InternalError",
                             found.error().message);
    }
    if (!found.value()) {
        return entraError(
            context_, request,
            {http::Status::bad_request, "unauthorized_client", 700016,
             "Application with identifier '" + client_id + "' was not found in the directory '" +
                 *tenant +
                 "'. This can happen if the application has not been installed by the "
                 "administrator of the tenant or consented to by any user in the tenant. You may "
                 "have sent your authentication request to the wrong tenant."});
    }
    const ServicePrincipal& principal = *found.value();

    std::string auth_method;
    const std::string secret = field("client_secret");
    const std::string assertion = field("client_assertion");
    if (!secret.empty()) {
        if (principal.secret_hash.empty() ||
            !constantTimeEquals(hashSecret(secret), principal.secret_hash)) {
            return entraError(
                context_, request,
                {http::Status::unauthorized, "invalid_client", 7000215,
                 "Invalid client secret provided. Ensure the secret being sent in the request is "
                 "the client secret value, not the client secret ID, for a secret added to app '" +
                     client_id + "'."});
        }
        auth_method = "1";
    } else if (!assertion.empty()) {
        if (field("client_assertion_type") != kJwtBearerType) {
            return entraError(
                context_, request,
                {http::Status::bad_request, "invalid_request", 90014,
                 "The client_assertion_type must be '" + std::string(kJwtBearerType) + "'."});
        }
        const auto invalid = [&](int code, const std::string& text) {
            return entraError(context_, request,
                              {http::Status::unauthorized, "invalid_client", code, text});
        };
        auto parts = crypto::decodeJwt(assertion);
        if (!parts) {
            return invalid(50027, "JWT token is invalid or malformed.");
        }
        if (principal.cert_pem.empty()) {
            return invalid(700027, "The certificate with identifier used to sign the client "
                                   "assertion is not registered on application.");
        }
        auto certificate = crypto::parseCertificatePem(principal.cert_pem);
        if (!certificate) {
            return invalid(700027, "The registered certificate of the application is unreadable.");
        }
        const auto& header = parts.value().header;
        const std::string x5t = stringClaim(header, "x5t");
        const std::string x5t_s256 = stringClaim(header, "x5t#S256");
        const std::string kid = stringClaim(header, "kid");
        const bool key_matches =
            (!x5t.empty() && x5t == certificate.value().thumbprint_sha1_b64url) ||
            (!x5t_s256.empty() && x5t_s256 == certificate.value().thumbprint_sha256_b64url) ||
            (!kid.empty() && equalsIgnoreCase(kid, certificate.value().thumbprint_sha1_hex));
        if (!key_matches) {
            return invalid(700027, "Client assertion contains an invalid signature. [Reason - The "
                                   "key was not found., Thumbprint of key used by client: '" +
                                       (x5t.empty() ? x5t_s256 : x5t) + "']");
        }
        crypto::JwtExpectations expect;
        expect.now = context_.clock();
        auto claims = crypto::verifyJwt(assertion, principal.cert_pem, expect);
        if (!claims) {
            return invalid(700027, "Client assertion failed signature validation: " +
                                       claims.error().message);
        }
        const auto& values = claims.value();
        if (!values.contains("exp") || !values.at("exp").is_number()) {
            return invalid(700024, "Client assertion is not within its valid time range.");
        }
        if (stringClaim(values, "iss") != client_id || stringClaim(values, "sub") != client_id) {
            return invalid(700021, "Client assertion application identifier doesn't match "
                                   "'client_id' parameter.");
        }
        const std::string assertion_audience = stringClaim(values, "aud");
        if (!assertionAudienceMatches(assertion_audience, *tenant, tenant_segment)) {
            return invalid(700212, "The audience '" + assertion_audience +
                                       "' of the client assertion is not this tenant's token "
                                       "endpoint.");
        }
        auth_method = "2";
    } else {
        return entraError(context_, request,
                          {http::Status::unauthorized, "invalid_client", 7000218,
                           "The request body must contain the following parameter: "
                           "'client_assertion' or 'client_secret'."});
    }

    auto access_token = issueAccessToken(context_, principal, *tenant, audience, auth_method);
    if (!access_token) {
        return errorResponse(request, http::Status::internal_server_error, "InternalError",
                             access_token.error().message);
    }
    const auto lifetime = context_.options.token_lifetime.count();
    return jsonResponse(request, http::Status::ok,
                        json{{"token_type", "Bearer"},
                             {"expires_in", lifetime},
                             {"ext_expires_in", lifetime},
                             {"access_token", access_token.value()}});
}

http::Response EntraService::openIdConfiguration(const http::Request& request,
                                                 const std::string& tenant_segment) {
    const auto tenant = resolveTenant(tenant_segment);
    if (!tenant) {
        return entraError(context_, request,
                          {http::Status::bad_request, "invalid_tenant", 90002,
                           "Tenant '" + tenant_segment + "' not found."});
    }
    const std::string base = context_.base_url + "/" + tenant_segment;
    // Like Azure: alias tenants keep the alias in endpoints and a placeholder in the issuer.
    const std::string issuer = isAlias(tenant_segment) ? context_.base_url + "/{tenantid}/v2.0"
                                                       : issuerFor(context_, *tenant);
    const std::string host = context_.base_url.substr(context_.base_url.find("://") + 3);
    return jsonResponse(
        request, http::Status::ok,
        json{{"token_endpoint", base + "/oauth2/v2.0/token"},
             {"token_endpoint_auth_methods_supported",
              {"client_secret_post", "private_key_jwt", "client_secret_basic"}},
             {"jwks_uri", base + "/discovery/v2.0/keys"},
             {"response_modes_supported", {"query", "fragment", "form_post"}},
             {"subject_types_supported", {"pairwise"}},
             {"id_token_signing_alg_values_supported", {"RS256"}},
             {"response_types_supported", {"code", "id_token", "code id_token", "id_token token"}},
             {"scopes_supported", {"openid", "profile", "email", "offline_access"}},
             {"issuer", issuer},
             {"request_uri_parameter_supported", false},
             {"userinfo_endpoint", context_.base_url + "/oidc/userinfo"},
             {"authorization_endpoint", base + "/oauth2/v2.0/authorize"},
             {"device_authorization_endpoint", base + "/oauth2/v2.0/devicecode"},
             {"http_logout_supported", true},
             {"frontchannel_logout_supported", true},
             {"end_session_endpoint", base + "/oauth2/v2.0/logout"},
             {"claims_supported",
              {"sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
               "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
               "nonce", "tid", "ver", "at_hash", "c_hash"}},
             {"kerberos_endpoint", base + "/kerberos"},
             {"tenant_region_scope", nullptr},
             {"cloud_instance_name", host},
             {"cloud_graph_host_name", host},
             {"msgraph_host", host},
             {"rbac_url", context_.base_url}});
}

http::Response EntraService::keys(const http::Request& request) {
    auto jwk = crypto::rsaPublicJwk(context_.pki.signing_public_pem, context_.pki.signing_kid);
    if (!jwk) {
        return errorResponse(request, http::Status::internal_server_error, "InternalError",
                             jwk.error().message);
    }
    return jsonResponse(request, http::Status::ok, json{{"keys", json::array({jwk.value()})}});
}

http::Response EntraService::instanceDiscovery(const http::Request& request,
                                               const std::map<std::string, std::string>& query) {
    std::string tenant = "common";
    if (const auto it = query.find("authorization_endpoint"); it != query.end()) {
        const auto scheme = it->second.find("://");
        if (scheme != std::string::npos) {
            const auto slash = it->second.find('/', scheme + 3);
            if (slash != std::string::npos) {
                auto segments = pathSegments(it->second.substr(slash));
                if (segments && !segments.value().empty()) {
                    tenant = segments.value().front();
                }
            }
        }
    }
    const std::string host = context_.base_url.substr(context_.base_url.find("://") + 3);
    return jsonResponse(
        request, http::Status::ok,
        json{{"tenant_discovery_endpoint",
              context_.base_url + "/" + tenant + "/v2.0/.well-known/openid-configuration"},
             {"api-version", "1.1"},
             {"metadata", json::array({json{{"preferred_network", host},
                                            {"preferred_cache", host},
                                            {"aliases", json::array({host})}}})}});
}

} // namespace azcm::emulator
