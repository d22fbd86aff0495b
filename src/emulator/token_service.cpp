#include "emulator/token_service.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/jwt.hpp"
#include "emulator/http_util.hpp"

namespace azcm::emulator {

using nlohmann::json;

std::string issuerFor(const ServiceContext& context, const std::string& tenant_id) {
    return context.base_url + "/" + tenant_id + "/v2.0";
}

std::vector<std::string> armAudiences(const ServiceContext& context) {
    std::vector<std::string> audiences = {
        "https://management.azure.com", "https://management.azure.com/",
        "https://management.core.windows.net", "https://management.core.windows.net/"};
    // The ARM base under each name of the loopback host the TLS certificate covers.
    const auto colon = context.base_url.rfind(':');
    const std::string port =
        colon != std::string::npos && colon > 6 ? context.base_url.substr(colon) : std::string();
    for (const std::string& base : {context.base_url, "https://127.0.0.1" + port,
                                    "https://localhost" + port, "https://[::1]" + port}) {
        audiences.push_back(base);
        audiences.push_back(base + "/");
    }
    return audiences;
}

Result<std::string> issueAccessToken(const ServiceContext& context,
                                     const ServicePrincipal& principal,
                                     const std::string& tenant_id,
                                     const std::string& audience,
                                     const std::string& auth_method) {
    const auto now = toUnixSeconds(context.clock());
    const auto lifetime = context.options.token_lifetime.count();
    const std::string issuer = issuerFor(context, tenant_id);
    json claims{{"aud", audience},
                {"iss", issuer},
                {"iat", now},
                {"nbf", now},
                {"exp", now + lifetime},
                {"idp", issuer},
                {"idtyp", "app"},
                {"tid", tenant_id},
                {"oid", principal.object_id},
                {"sub", principal.object_id},
                {"appid", principal.app_id},
                {"appidacr", auth_method},
                {"azp", principal.app_id},
                {"azpacr", auth_method},
                {"uti", crypto::base64UrlEncode(crypto::randomBytes(16))},
                {"ver", "2.0"}};
    return crypto::signJwt(claims, context.pki.signing_key_pem,
                           json{{"kid", context.pki.signing_kid}});
}

Result<std::string> issueManagedIdentityToken(const ServiceContext& context,
                                              const ManagedIdentityGrant& grant,
                                              const std::string& tenant_id,
                                              std::int64_t issued_at) {
    const std::string issuer = issuerFor(context, tenant_id);
    json claims{{"aud", grant.audience},
                {"iss", issuer},
                {"iat", issued_at},
                {"nbf", issued_at},
                {"exp", issued_at + context.options.mi_token_lifetime.count()},
                {"idp", issuer},
                {"idtyp", "app"},
                {"tid", tenant_id},
                {"oid", grant.principal_id},
                {"sub", grant.principal_id},
                {"appid", grant.client_id},
                {"appidacr", "2"},
                {"azp", grant.client_id},
                {"azpacr", "2"},
                {"xms_mirid", grant.resource_id},
                {"uti", crypto::base64UrlEncode(crypto::randomBytes(16))},
                {"ver", "2.0"}};
    return crypto::signJwt(claims, context.pki.signing_key_pem,
                           json{{"kid", context.pki.signing_kid}});
}

Authentication authenticateArm(const ServiceContext& context, const http::Request& request) {
    Authentication result;
    const auto token = bearerToken(request);
    if (!token) {
        result.error_code = "AuthenticationFailed";
        result.message = "Authentication failed. The 'Authorization' header is missing.";
        return result;
    }
    auto settings = context.store.settings();
    if (!settings) {
        result.error_code = "AuthenticationFailed";
        result.message = "Authentication failed: " + settings.error().message;
        return result;
    }
    crypto::JwtExpectations expect;
    expect.audiences = armAudiences(context);
    expect.issuer = issuerFor(context, settings.value().tenant_id);
    expect.now = context.clock();
    expect.leeway = std::chrono::seconds(0);
    auto claims = crypto::verifyJwt(*token, context.pki.signing_public_pem, expect);
    if (!claims) {
        result.error_code = "InvalidAuthenticationToken";
        result.message = "The access token is invalid: " + claims.error().message;
        return result;
    }
    const auto& values = claims.value();
    const auto text = [&](const char* key) {
        return values.contains(key) && values.at(key).is_string()
                   ? values.at(key).get<std::string>()
                   : std::string();
    };
    if (!values.contains("exp") || text("oid").empty() ||
        !equalsIgnoreCase(text("tid"), settings.value().tenant_id)) {
        result.error_code = "InvalidAuthenticationToken";
        result.message = "The access token is invalid: claims exp, oid and tid are required.";
        return result;
    }
    result.caller = Caller{text("oid"), text("appid"), text("tid")};
    return result;
}

http::Response authenticationFailure(const ServiceContext& context,
                                     const http::Request& request,
                                     const Authentication& failure) {
    auto response =
        errorResponse(request, http::Status::unauthorized, failure.error_code, failure.message);
    auto settings = context.store.settings();
    const std::string tenant = settings ? settings.value().tenant_id : std::string("common");
    response.set(http::Field::www_authenticate,
                 "Bearer authorization_uri=\"" + context.base_url + "/" + tenant +
                     "\", error=\"invalid_token\", error_description=\"The authentication "
                     "failed.\"");
    return response;
}

} // namespace azcm::emulator
