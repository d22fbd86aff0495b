#include "common/crypto/jwt.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "emulator/http_util.hpp"
#include "emulator_fixture.hpp"

#include <string>

#include <gtest/gtest.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr const char* kArm = "https://management.azure.com/";

class ManagedIdentityTokenTest : public EmulatorFixture {
protected:
    void SetUp() override {
        createGroup("rg1");
        ASSERT_EQ(putMachine("rg1", "web01", machineKeyPem()).result_int(), 201);
    }

    // Issues the machine certificate and returns its DER, as the TLS layer would hand it over.
    std::string connect() {
        const json body{{"resourceId", machinePath("rg1", "web01")},
                        {"csr", crypto::createCsrPem(machineKeyPem(), "web01").value()}};
        auto response =
            call(http::Verb::post, "/his/machines/certificate", body.dump(), ownerToken());
        EXPECT_EQ(response.result_int(), 200) << response.body();
        auto info = crypto::parseCertificatePem(parse(response)["certificate"].get<std::string>());
        EXPECT_TRUE(info);
        return info.value().der;
    }

    http::Response requestToken(const std::string& der, const std::string& body) {
        http::PeerInfo peer;
        if (!der.empty()) {
            peer.client_certificate_der = der;
        }
        return call(http::Verb::post, "/his/machines/token", body, {}, peer);
    }

    http::Response requestToken(const std::string& der, const json& body) {
        return requestToken(der, body.dump());
    }

    json machine() {
        auto response =
            call(http::Verb::get, machinePath("rg1", "web01") + "?api-version=" + kMachineVersion,
                 {}, ownerToken());
        EXPECT_EQ(response.result_int(), 200);
        return parse(response);
    }

    // The token's claims after verification against the key the JWKS publishes.
    json verifiedClaims(const std::string& token, const std::string& audience) {
        const auto header = crypto::decodeJwt(token).value().header;
        auto configuration = call(http::Verb::get, "/" + settings_.tenant_id +
                                                       "/v2.0/.well-known/openid-configuration");
        EXPECT_EQ(configuration.result_int(), 200);
        const std::string jwks_uri = parse(configuration)["jwks_uri"];
        EXPECT_EQ(jwks_uri.rfind(kBaseUrl, 0), 0u);
        auto keys = call(http::Verb::get, jwks_uri.substr(std::string(kBaseUrl).size()));
        EXPECT_EQ(keys.result_int(), 200);
        const auto expected_jwk =
            crypto::rsaPublicJwk(sharedPki().signing_public_pem, sharedPki().signing_kid).value();
        bool published = false;
        const json jwks = parse(keys);
        for (const auto& key : jwks.at("keys")) {
            if (key["kid"] == header["kid"]) {
                published = key["n"] == expected_jwk["n"] && key["e"] == expected_jwk["e"];
            }
        }
        EXPECT_TRUE(published) << "the token's kid must name the published signing key";
        crypto::JwtExpectations expect;
        expect.audiences = {audience};
        expect.issuer = std::string(kBaseUrl) + "/" + settings_.tenant_id + "/v2.0";
        expect.now = clock_.wallNow();
        auto claims = crypto::verifyJwt(token, sharedPki().signing_public_pem, expect);
        EXPECT_TRUE(claims) << (claims ? "" : claims.error().message);
        return claims ? claims.value() : json::object();
    }
};

TEST_F(ManagedIdentityTokenTest, IssuesAVerifiableTokenOfTheMachineIdentity) {
    const auto der = connect();
    auto response = requestToken(der, json{{"resource", kArm}});
    ASSERT_EQ(response.result_int(), 200) << response.body();
    const auto body = parse(response);
    const std::string principal_id = machine()["identity"]["principalId"];
    ASSERT_FALSE(principal_id.empty());
    EXPECT_EQ(body["token_type"], "Bearer");
    EXPECT_EQ(body["resource"], kArm);
    EXPECT_EQ(body["object_id"], principal_id);
    EXPECT_EQ(body["expires_in"], "86400");
    const auto now = toUnixSeconds(clock_.wallNow());
    EXPECT_EQ(body["not_before"], std::to_string(now));
    EXPECT_EQ(body["expires_on"], std::to_string(now + 86400));

    const auto claims = verifiedClaims(body["access_token"], kArm);
    EXPECT_EQ(claims["aud"], kArm);
    EXPECT_EQ(claims["oid"], principal_id);
    EXPECT_EQ(claims["sub"], principal_id);
    EXPECT_EQ(claims["tid"], settings_.tenant_id);
    EXPECT_EQ(claims["appid"], body["client_id"]);
    EXPECT_EQ(claims["azp"], body["client_id"]);
    EXPECT_EQ(claims["xms_mirid"], "/subscriptions/" + settings_.subscription_id +
                                       "/resourcegroups/rg1/providers/"
                                       "Microsoft.HybridCompute/machines/web01");
    EXPECT_EQ(claims["iat"].get<std::int64_t>(), now);
    EXPECT_EQ(claims["nbf"].get<std::int64_t>(), now);
    EXPECT_EQ(claims["exp"].get<std::int64_t>() - claims["iat"].get<std::int64_t>(), 86400);
    EXPECT_EQ(crypto::decodeJwt(body["access_token"].get<std::string>()).value().header["alg"],
              "RS256");
}

TEST_F(ManagedIdentityTokenTest, ClientIdIsStableAndAudienceDropsDefaultScope) {
    const auto der = connect();
    auto first = requestToken(der, json{{"resource", "https://vault.azure.net/.default"}});
    ASSERT_EQ(first.result_int(), 200) << first.body();
    auto second = requestToken(der, json{{"resource", "https://vault.azure.net"}});
    ASSERT_EQ(second.result_int(), 200) << second.body();
    const std::string client_id = parse(first)["client_id"];
    EXPECT_EQ(client_id.size(), 36u);
    EXPECT_EQ(parse(second)["client_id"], client_id);
    EXPECT_NE(client_id, parse(first)["object_id"]);
    EXPECT_EQ(parse(first)["resource"], "https://vault.azure.net/.default");
    EXPECT_EQ(verifiedClaims(parse(first)["access_token"], "https://vault.azure.net")["aud"],
              "https://vault.azure.net");
}

TEST_F(ManagedIdentityTokenTest, NeedsTheCurrentCertificateOfAnExistingMachine) {
    EXPECT_EQ(requestToken({}, json{{"resource", kArm}}).result_int(), 401);
    const auto old_der = connect();
    const auto new_der = connect(); // re-issue: only the newest certificate counts
    EXPECT_EQ(requestToken(old_der, json{{"resource", kArm}}).result_int(), 404);
    EXPECT_EQ(requestToken(new_der, json{{"resource", kArm}}).result_int(), 200);
    ASSERT_EQ(call(http::Verb::delete_, machinePath("rg1", "web01") + "?api-version=2024-07-10", {},
                   ownerToken())
                  .result_int(),
              200);
    EXPECT_EQ(requestToken(new_der, json{{"resource", kArm}}).result_int(), 404);
}

TEST_F(ManagedIdentityTokenTest, RenewedAwayCertificateIsRefused) {
    const auto der = connect();
    http::PeerInfo peer;
    peer.client_certificate_der = der;
    const json body{{"csr", crypto::createCsrPem(otherKeyPem(), "web01").value()}};
    auto renewed = call(http::Verb::post, "/his/machines/certificate/renew", body.dump(), {}, peer);
    ASSERT_EQ(renewed.result_int(), 200) << renewed.body();
    const auto leaf =
        crypto::parseCertificatePem(parse(renewed)["certificate"].get<std::string>()).value();
    EXPECT_EQ(requestToken(der, json{{"resource", kArm}}).result_int(), 404);
    EXPECT_EQ(requestToken(leaf.der, json{{"resource", kArm}}).result_int(), 200);
}

TEST_F(ManagedIdentityTokenTest, RejectsInvalidResources) {
    const auto der = connect();
    EXPECT_EQ(requestToken(der, std::string("not json")).result_int(), 400);
    EXPECT_EQ(requestToken(der, json::object()).result_int(), 400);
    EXPECT_EQ(requestToken(der, json{{"resource", ""}}).result_int(), 400);
    EXPECT_EQ(requestToken(der, json{{"resource", 42}}).result_int(), 400);
    EXPECT_EQ(requestToken(der, json{{"resource", "management.azure.com"}}).result_int(), 400);
    EXPECT_EQ(requestToken(der, json{{"resource", "https://vault.azure.net\n"}}).result_int(), 400);
    EXPECT_EQ(requestToken(der, json{{"resource", "https://a\x01.net"}}).result_int(), 400);
    const std::string prefix = "https://example.com/";
    const std::string longest = prefix + std::string(2048 - prefix.size(), 'a');
    EXPECT_EQ(requestToken(der, json{{"resource", longest}}).result_int(), 200);
    EXPECT_EQ(requestToken(der, json{{"resource", longest + "a"}}).result_int(), 400);
    auto get = call(http::Verb::get, "/his/machines/token");
    EXPECT_EQ(get.result_int(), 405);
}

TEST_F(ManagedIdentityTokenTest, MachineWithoutIdentityGetsNoToken) {
    const auto der = connect();
    const json none{{"location", "westeurope"}, {"identity", {{"type", "None"}}}};
    ASSERT_EQ(call(http::Verb::put, machinePath("rg1", "web01") + "?api-version=" + kMachineVersion,
                   none.dump(), ownerToken())
                  .result_int(),
              200);
    EXPECT_EQ(requestToken(der, json{{"resource", kArm}}).result_int(), 400);
}

TEST_F(ManagedIdentityTokenTest, LifetimeFollowsTheOption) {
    options_.mi_token_lifetime = seconds(120);
    emulator_ = std::make_unique<Emulator>(*store_, sharedPki(), clock_.wall(), options_, kBaseUrl);
    const auto der = connect();
    auto response = requestToken(der, json{{"resource", kArm}});
    ASSERT_EQ(response.result_int(), 200) << response.body();
    EXPECT_EQ(parse(response)["expires_in"], "120");
    const auto claims = verifiedClaims(parse(response)["access_token"], kArm);
    EXPECT_EQ(claims["exp"].get<std::int64_t>() - claims["iat"].get<std::int64_t>(), 120);
    // The token expires with its lifetime.
    clock_.advance(seconds(121));
    crypto::JwtExpectations expect;
    expect.now = clock_.wallNow();
    expect.leeway = seconds(0);
    EXPECT_FALSE(crypto::verifyJwt(parse(response)["access_token"].get<std::string>(),
                                   sharedPki().signing_public_pem, expect));
}

TEST_F(ManagedIdentityTokenTest, ArmAuthenticatesArmTokensOnly) {
    const auto der = connect();
    const std::string arm_token =
        parse(requestToken(der, json{{"resource", kArm}}))["access_token"];
    const std::string vault_token =
        parse(requestToken(der, json{{"resource", "https://vault.azure.net"}}))["access_token"];
    const std::string target = machinePath("rg1", "web01") + "?api-version=" + kMachineVersion;
    // Authenticated as the machine principal, which has no role assignment: 403, not 401.
    auto as_machine = call(http::Verb::get, target, {}, arm_token);
    EXPECT_EQ(as_machine.result_int(), 403) << as_machine.body();
    EXPECT_EQ(call(http::Verb::get, target, {}, vault_token).result_int(), 401);
}

} // namespace
} // namespace azcm::emulator::test
