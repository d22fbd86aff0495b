#include "common/config/agent_config.hpp"
#include "common/config/cloud_config.hpp"
#include "common/config/local_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::config {
namespace {

using nlohmann::json;

json emulatorCloudJson() {
    return json{{"tenantId", "t1"},
                {"subscriptionId", "s1"},
                {"caCertPath", "/tmp/ca.pem"},
                {"endpoints",
                 {{"entra", "https://127.0.0.1:4443"},
                  {"arm", "https://127.0.0.1:4443/"},
                  {"identity", "https://127.0.0.1:4443/his"},
                  {"guestConfiguration", "https://127.0.0.1:4443/gc"}}},
                {"bootstrapOwner", {{"appId", "a"}, {"password", "p"}}}};
}

TEST(CloudConfigTest, ParsesEmulatorCloudJson) {
    auto cloud = parseCloudConfig(emulatorCloudJson());
    ASSERT_TRUE(cloud) << cloud.error().message;
    EXPECT_EQ(cloud.value().tenant_id, "t1");
    EXPECT_EQ(cloud.value().endpoints.arm, "https://127.0.0.1:4443"); // trailing slash trimmed
    EXPECT_EQ(cloud.value().endpoints.identity, "https://127.0.0.1:4443/his");
}

TEST(CloudConfigTest, RefusesPlainHttpAndMissingEndpoints) {
    auto doc = emulatorCloudJson();
    doc["endpoints"]["arm"] = "http://127.0.0.1:4443";
    auto plain = parseCloudConfig(doc);
    ASSERT_FALSE(plain);
    EXPECT_EQ(plain.error().code, exitcode::kCloudConfig);
    doc = emulatorCloudJson();
    doc["endpoints"].erase("identity");
    EXPECT_FALSE(parseCloudConfig(doc));
    doc = emulatorCloudJson();
    doc["caCertPath"] = "relative.pem";
    EXPECT_FALSE(parseCloudConfig(doc));
}

TEST(CloudConfigTest, MalformedFileIsCloudConfigError) {
    test::TempDir dir;
    auto path = dir.path() / "cloud.json";
    ASSERT_TRUE(fs::writeFileAtomic(path, "{not json"));
    auto loaded = loadCloudConfig(path);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, exitcode::kCloudConfig);
}

TEST(AgentConfigTest, RoundTripsThroughFile) {
    test::TempDir dir;
    AgentConfig config;
    config.tenant_id = "t";
    config.subscription_id = "s";
    config.resource_group = "rg";
    config.resource_name = "web01";
    config.location = "westeurope";
    config.vm_id = "v";
    config.tags = {{"env", "prod"}};
    config.cloud = parseCloudConfig(emulatorCloudJson()).value();
    config.cloud.name = "ArcEmulator";
    auto path = dir.path() / "agentconfig.json";
    ASSERT_TRUE(saveAgentConfig(path, config));
    auto loaded = loadAgentConfig(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(
        loaded.value().resourceId(),
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/web01");
    EXPECT_EQ(loaded.value().tags.at("env"), "prod");
    EXPECT_EQ(loaded.value().cloud.name, "ArcEmulator");
    EXPECT_EQ(loaded.value().cloud.ca_cert_path, "/tmp/ca.pem");
}

TEST(AgentConfigTest, MissingFileMeansNotConnected) {
    test::TempDir dir;
    auto loaded = loadAgentConfig(dir.path() / "agentconfig.json");
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, exitcode::kConfigFileNotFound);
}

TEST(LocalConfigTest, DefaultsWhenMissing) {
    test::TempDir dir;
    auto loaded = loadLocalConfig(dir.path() / "localconfig.json");
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(loaded.value().extensions_enabled);
    EXPECT_EQ(loaded.value().config_mode, "full");
    EXPECT_EQ(loaded.value().guest_configuration_cpu_limit, 5);
}

TEST(LocalConfigTest, RefusesBadValuesAndKeepsUnknownKeys) {
    auto bad = parseLocalConfig(json{{"config.mode", "paranoid"}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, exitcode::kInvalidArgument);
    EXPECT_FALSE(parseLocalConfig(json{{"extensions.agent.cpulimit", 0}}));
    EXPECT_FALSE(parseLocalConfig(json{{"extensions.allowlist", "a/b"}}));

    auto good = parseLocalConfig(json{{"proxy.url", "http://proxy:3128"},
                                      {"extensions.allowlist", {"Microsoft.Azure.Monitor/AMA"}},
                                      {"future.key", 7}});
    ASSERT_TRUE(good);
    EXPECT_EQ(good.value().proxy_url, "http://proxy:3128");
    auto out = toJson(good.value());
    EXPECT_EQ(out["future.key"], 7);
    EXPECT_EQ(out["extensions.allowlist"][0], "Microsoft.Azure.Monitor/AMA");
}

TEST(LocalConfigTest, NumbersAreRangeCheckedBeforeNarrowing) {
    // 2^32 + 1 used to be read as a cpulimit of 1.
    for (const char* key : {"extensions.agent.cpulimit", "guestconfiguration.agent.cpulimit"}) {
        for (const json& value : {json(4294967297ULL), json(-4294967295LL), json(5.5), json("5")}) {
            auto bad = parseLocalConfig(json{{key, value}});
            ASSERT_FALSE(bad) << key << "=" << value.dump();
            EXPECT_EQ(bad.error().code, exitcode::kInvalidArgument);
            EXPECT_NE(bad.error().message.find(std::string("invalid value for ") + key +
                                               " in localconfig.json"),
                      std::string::npos)
                << bad.error().message;
        }
    }
    EXPECT_EQ(
        parseLocalConfig(json{{"extensions.agent.cpulimit", 100}}).value().extensions_cpu_limit,
        100);
}

TEST(LocalConfigTest, ADeepOrHugeFileIsRefusedNamingIt) {
    test::TempDir dir;
    const auto path = dir.path() / "localconfig.json";
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    for (const auto& text : {"{\"deep\": " + deep + "}", deep}) {
        ASSERT_TRUE(fs::writeFileAtomic(path, text));
        auto loaded = loadLocalConfig(path);
        ASSERT_FALSE(loaded);
        EXPECT_EQ(loaded.error().code, exitcode::kLocalConfigRead);
        EXPECT_NE(loaded.error().message.find(path.string() + " nests deeper than 64 levels"),
                  std::string::npos)
            << loaded.error().message;
    }
    ASSERT_TRUE(fs::writeFileAtomic(path, "{\"x\": \"" + std::string(2 << 20, 'x') + "\"}"));
    auto huge = loadLocalConfig(path);
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error().code, exitcode::kLocalConfigRead);
    EXPECT_NE(huge.error().message.find(path.string()), std::string::npos) << huge.error().message;
}

TEST(AgentConfigTest, AFieldOfTheWrongTypeIsNamed) {
    test::TempDir dir;
    const auto path = dir.path() / "agentconfig.json";
    ASSERT_TRUE(fs::writeFileAtomic(
        path, R"({"subscriptionId": "s", "resourceGroup": "g", "resourceName": 5})"));
    auto loaded = loadAgentConfig(path);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, exitcode::kLocalConfigRead);
    EXPECT_NE(loaded.error().message.find("field 'resourceName'"), std::string::npos)
        << loaded.error().message;
}

} // namespace
} // namespace azcm::config
