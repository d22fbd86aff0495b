// The IMDS API of the shipped himds against a real arc-emulator, in a sandbox: a token through the
// challenge that verifies against the emulator's JWKS, metadata that follows ARM, and what a
// disconnect leaves (docs/imds.md).
#include "emulator_jwks.hpp"
#include "http_test_client.hpp"
#include "sandbox.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const Headers kMetadata{{"Metadata", "true"}};

void connect(Sandbox& sandbox, const std::string& name) {
    sandbox.startEmulator();
    sandbox.startHimds();
    const auto sp = sandbox.createServicePrincipal("onboarder", kOnboarding);
    const auto result = sandbox.azcmagent(sandbox.connectArgs(sp, name));
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(ImdsTest, TokenThroughTheChallengeVerifiesAgainstTheJwks) {
    Sandbox sandbox;
    ASSERT_NO_FATAL_FAILURE(connect(sandbox, "web01"));
    const auto exchange = imdsTokenExchange(sandbox.imdsPort(), "https://vault.azure.net");
    ASSERT_EQ(exchange.challenge.result_int(), 401);
    ASSERT_EQ(exchange.answer.result_int(), 200) << exchange.answer.body();
    const auto body = json::parse(exchange.answer.body());
    const auto claims = verifyEmulatorToken(
        sandbox.cloud(), body.at("access_token").get<std::string>(), "https://vault.azure.net");
    const auto machine = sandbox.getMachine("arc-rg", "web01").value();
    const auto principal = machine.at("identity").at("principalId").get<std::string>();
    EXPECT_EQ(claims.at("oid"), principal);
    EXPECT_EQ(body.at("object_id"), principal);
    EXPECT_EQ(body.at("client_id"), claims.at("appid"));
    EXPECT_EQ(claims.value("xms_mirid", ""),
              "/subscriptions/" + sandbox.subscription() +
                  "/resourcegroups/arc-rg/providers/Microsoft.HybridCompute/machines/web01");
    const auto lifetime =
        claims.at("exp").get<std::int64_t>() - claims.at("iat").get<std::int64_t>();
    EXPECT_EQ(lifetime, 24 * 3600);
    // The second exchange is served from the cache: the same token.
    const auto again = imdsTokenExchange(sandbox.imdsPort(), "https://vault.azure.net/");
    ASSERT_EQ(again.answer.result_int(), 200);
    EXPECT_EQ(json::parse(again.answer.body()).at("access_token"), body.at("access_token"));
}

TEST(ImdsTest, MetadataFollowsTagsChangedInArm) {
    Sandbox sandbox;
    ASSERT_NO_FATAL_FAILURE(connect(sandbox, "web02"));
    const auto port = sandbox.imdsPort();
    const auto whole = httpGet(port, "/metadata/instance?api-version=2020-06-01", kMetadata);
    ASSERT_EQ(whole.result_int(), 200) << whole.body();
    const auto compute = json::parse(whole.body()).at("compute");
    const auto machine = sandbox.getMachine("arc-rg", "web02").value();
    EXPECT_EQ(compute.at("name"), "web02");
    EXPECT_EQ(compute.at("resourceGroupName"), "arc-rg");
    EXPECT_EQ(compute.at("subscriptionId"), sandbox.subscription());
    EXPECT_EQ(compute.at("vmId"), machine.at("properties").at("vmId"));
    EXPECT_EQ(compute.at("osType"), "linux");

    sandbox.patchMachineTags("arc-rg", "web02", json{{"team", "payments"}});
    std::string tags;
    EXPECT_TRUE(waitUntil(
        [&] {
            tags =
                httpGet(port, "/metadata/instance/compute/tags?api-version=2021-02-01&format=text",
                        kMetadata)
                    .body();
            return tags == "team:payments";
        },
        20s))
        << tags;
}

TEST(ImdsTest, MetadataKeepsAnsweringWhileTheControlPlaneIsDown) {
    Sandbox sandbox;
    ASSERT_NO_FATAL_FAILURE(connect(sandbox, "web03"));
    sandbox.stopEmulator();
    ASSERT_TRUE(waitUntil(
        [&] { return sandbox.himdsStatus().value("agentStatus", "") == "Disconnected"; }, 30s));
    const auto name =
        httpGet(sandbox.imdsPort(),
                "/metadata/instance/compute/name?api-version=2021-02-01&format=text", kMetadata);
    EXPECT_EQ(name.result_int(), 200);
    EXPECT_EQ(name.body(), "web03");
}

TEST(ImdsTest, DisconnectEndsTokensAndMetadata) {
    Sandbox sandbox;
    ASSERT_NO_FATAL_FAILURE(connect(sandbox, "web04"));
    const auto port = sandbox.imdsPort();
    ASSERT_EQ(imdsTokenExchange(port, "https://vault.azure.net").answer.result_int(), 200);
    const auto result = sandbox.azcmagent({"disconnect", "--force-local-only"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    const auto token = imdsTokenExchange(port, "https://vault.azure.net");
    EXPECT_EQ(token.challenge.result_int(), 400);
    EXPECT_EQ(token.answer.body().find("access_token"), std::string::npos);
    EXPECT_EQ(httpGet(port, "/metadata/instance?api-version=2020-06-01", kMetadata).result_int(),
              404);
}

} // namespace
} // namespace azcm::test
