#include "common/crypto/encoding.hpp"
#include "common/crypto/jwt.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"
#include "emulator/rbac.hpp"
#include "emulator/sp_command.hpp"
#include "emulator_fixture.hpp"

#include <gtest/gtest.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;

class EntraTest : public EmulatorFixture {
protected:
    std::string tokenPath() const { return "/" + settings_.tenant_id + "/oauth2/v2.0/token"; }
    http::Response secretRequest(const std::string& client_id,
                                 const std::string& secret,
                                 const std::string& path = {}) {
        return call(http::Verb::post, path.empty() ? tokenPath() : path,
                    "grant_type=client_credentials&client_id=" + client_id + "&client_secret=" +
                        secret + "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
    }
};

TEST_F(EntraTest, ClientSecretGetsSignedTokenWithAzureClaims) {
    const auto credential = addPrincipal(std::string(kReaderRoleId), subscriptionPath());
    auto response = secretRequest(credential.app_id, credential.secret);
    ASSERT_EQ(response.result_int(), 200) << response.body();
    const auto body = parse(response);
    EXPECT_EQ(body["token_type"], "Bearer");
    EXPECT_EQ(body["expires_in"], 3600);
    EXPECT_EQ(body["ext_expires_in"], 3600);

    const auto token = body["access_token"].get<std::string>();
    auto parts = crypto::decodeJwt(token);
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts.value().header["kid"], sharedPki().signing_kid);
    crypto::JwtExpectations expect;
    expect.audiences = {"https://management.azure.com"};
    expect.issuer = std::string(kBaseUrl) + "/" + settings_.tenant_id + "/v2.0";
    expect.now = clock_.wallNow();
    auto claims = crypto::verifyJwt(token, sharedPki().signing_public_pem, expect);
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims.value()["oid"], credential.object_id);
    EXPECT_EQ(claims.value()["sub"], credential.object_id);
    EXPECT_EQ(claims.value()["appid"], credential.app_id);
    EXPECT_EQ(claims.value()["azp"], credential.app_id);
    EXPECT_EQ(claims.value()["tid"], settings_.tenant_id);
    EXPECT_EQ(claims.value()["ver"], "2.0");
    EXPECT_EQ(claims.value()["exp"].get<std::int64_t>() - claims.value()["iat"].get<std::int64_t>(),
              3600);
}

TEST_F(EntraTest, WrongSecretIsInvalidClient7000215) {
    const auto credential = addPrincipal(std::string(kReaderRoleId), subscriptionPath());
    auto response = secretRequest(credential.app_id, "not-the-secret");
    EXPECT_EQ(response.result_int(), 401);
    const auto body = parse(response);
    EXPECT_EQ(body["error"], "invalid_client");
    EXPECT_EQ(body["error_codes"], json::array({7000215}));
    EXPECT_NE(body["error_description"].get<std::string>().find("AADSTS7000215"),
              std::string::npos);
    EXPECT_TRUE(body.contains("trace_id"));
    EXPECT_TRUE(body.contains("correlation_id"));
    EXPECT_TRUE(body.contains("timestamp"));
}

TEST_F(EntraTest, UnknownClientIs700016) {
    auto response = secretRequest("00000000-0000-0000-0000-000000000001", "x");
    EXPECT_EQ(response.result_int(), 400);
    EXPECT_EQ(parse(response)["error_codes"], json::array({700016}));
}

TEST_F(EntraTest, UnknownTenantIs90002AndAliasesMapToDefaultTenant) {
    const auto credential = addPrincipal(std::string(kReaderRoleId), subscriptionPath());
    auto unknown = secretRequest(credential.app_id, credential.secret,
                                 "/99999999-9999-9999-9999-999999999999/oauth2/v2.0/token");
    EXPECT_EQ(unknown.result_int(), 400);
    EXPECT_EQ(parse(unknown)["error"], "invalid_request");
    EXPECT_EQ(parse(unknown)["error_codes"], json::array({90002}));
    auto alias =
        secretRequest(credential.app_id, credential.secret, "/organizations/oauth2/v2.0/token");
    ASSERT_EQ(alias.result_int(), 200) << alias.body();
    auto claims = crypto::decodeJwt(parse(alias)["access_token"].get<std::string>());
    EXPECT_EQ(claims.value().claims["tid"], settings_.tenant_id);
}

TEST_F(EntraTest, ScopeMustEndWithDefault) {
    const auto credential = addPrincipal(std::string(kReaderRoleId), subscriptionPath());
    auto response = call(http::Verb::post, tokenPath(),
                         "grant_type=client_credentials&client_id=" + credential.app_id +
                             "&client_secret=" + credential.secret +
                             "&scope=https%3A%2F%2Fmanagement.azure.com%2Fuser_impersonation");
    EXPECT_EQ(response.result_int(), 400);
    EXPECT_EQ(parse(response)["error"], "invalid_scope");
    auto grant = call(http::Verb::post, tokenPath(), "grant_type=password&client_id=x");
    EXPECT_EQ(parse(grant)["error"], "unsupported_grant_type");
}

TEST_F(EntraTest, ClientAssertionSignedWithRegisteredCertificate) {
    SpCreateOptions options;
    options.data_dir = dir_.path();
    options.name = "cert-sp";
    options.role = "Reader";
    options.scope = subscriptionPath();
    options.cert_out = dir_.path() / "sp.pem";
    auto created = createServicePrincipal(options);
    ASSERT_TRUE(created) << created.error().message;
    const std::string app_id = created.value()["appId"];
    auto bundle = crypto::loadKeyAndCertificate(fs::readFile(*options.cert_out).value());
    ASSERT_TRUE(bundle) << bundle.error().message;
    auto info = crypto::parseCertificatePem(bundle.value().certificate_pem).value();

    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
            .count();
    const auto assertion = [&](const std::string& key_pem, const json& header,
                               const std::string& aud) {
        json claims{{"aud", aud},  {"iss", app_id},   {"sub", app_id},
                    {"jti", "j1"}, {"nbf", now - 10}, {"exp", now + 600}};
        return crypto::signJwt(claims, key_pem, header).value();
    };
    const auto request = [&](const std::string& jwt) {
        return call(http::Verb::post, tokenPath(),
                    "grant_type=client_credentials&client_id=" + app_id +
                        "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-"
                        "type%3Ajwt-bearer&client_assertion=" +
                        jwt + "&scope=https%3A%2F%2F127.0.0.1%3A8443%2F.default");
    };
    const std::string aud =
        std::string(kBaseUrl) + "/" + settings_.tenant_id + "/oauth2/v2.0/token";

    auto good = request(
        assertion(bundle.value().private_key_pem, json{{"x5t", info.thumbprint_sha1_b64url}}, aud));
    ASSERT_EQ(good.result_int(), 200) << good.body();
    auto s256 = request(assertion(bundle.value().private_key_pem,
                                  json{{"x5t#S256", info.thumbprint_sha256_b64url}},
                                  "https://localhost:8443/organizations/oauth2/v2.0/token"));
    EXPECT_EQ(s256.result_int(), 200) << s256.body();

    auto forged =
        request(assertion(otherKeyPem(), json{{"x5t", info.thumbprint_sha1_b64url}}, aud));
    EXPECT_EQ(forged.result_int(), 401);
    EXPECT_EQ(parse(forged)["error"], "invalid_client");
    auto wrong_audience =
        request(assertion(bundle.value().private_key_pem,
                          json{{"x5t", info.thumbprint_sha1_b64url}}, "https://example.com/other"));
    EXPECT_EQ(wrong_audience.result_int(), 401);
    auto unknown_key =
        request(assertion(bundle.value().private_key_pem, json{{"x5t", "AAAA"}}, aud));
    EXPECT_EQ(unknown_key.result_int(), 401);
}

TEST_F(EntraTest, OpenIdConfigurationJwksAndInstanceDiscovery) {
    auto config =
        call(http::Verb::get, "/" + settings_.tenant_id + "/v2.0/.well-known/openid-configuration");
    ASSERT_EQ(config.result_int(), 200);
    const auto body = parse(config);
    const std::string base = std::string(kBaseUrl) + "/" + settings_.tenant_id;
    EXPECT_EQ(body["issuer"], base + "/v2.0");
    EXPECT_EQ(body["token_endpoint"], base + "/oauth2/v2.0/token");
    EXPECT_EQ(body["jwks_uri"], base + "/discovery/v2.0/keys");
    EXPECT_EQ(body["authorization_endpoint"], base + "/oauth2/v2.0/authorize");
    EXPECT_EQ(body["device_authorization_endpoint"], base + "/oauth2/v2.0/devicecode");
    EXPECT_EQ(body["id_token_signing_alg_values_supported"], json::array({"RS256"}));
    EXPECT_TRUE(body.contains("tenant_region_scope") && body["tenant_region_scope"].is_null());

    for (const std::string& path : {"/" + settings_.tenant_id + "/discovery/v2.0/keys",
                                    std::string("/common/discovery/keys")}) {
        auto keys = call(http::Verb::get, path);
        ASSERT_EQ(keys.result_int(), 200) << path;
        EXPECT_EQ(parse(keys)["keys"][0]["kid"], sharedPki().signing_kid);
        EXPECT_EQ(parse(keys)["keys"][0]["kty"], "RSA");
    }

    auto discovery =
        call(http::Verb::get, "/common/discovery/instance?api-version=1.1&authorization_endpoint="
                              "https%3A%2F%2F127.0.0.1%3A8443%2F" +
                                  settings_.tenant_id + "%2Foauth2%2Fv2.0%2Fauthorize");
    ASSERT_EQ(discovery.result_int(), 200);
    const auto instance = parse(discovery);
    EXPECT_EQ(instance["tenant_discovery_endpoint"],
              base + "/v2.0/.well-known/openid-configuration");
    EXPECT_EQ(instance["api-version"], "1.1");
    EXPECT_EQ(instance["metadata"][0]["aliases"], json::array({"127.0.0.1:8443"}));
    EXPECT_EQ(instance["metadata"][0]["preferred_network"], "127.0.0.1:8443");
}

} // namespace
} // namespace azcm::emulator::test
