// The official Azure SDKs for JavaScript (@azure/identity, @azure/arm-hybridcompute from npm),
// unchanged, list the machines of a running arc-emulator.
#include "sandbox.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;

TEST(SdkTest, OfficialJavaScriptSdkListsMachines) {
    const std::string sdk_dir = AZCM_SDK_DIR;
    ASSERT_TRUE(std::filesystem::exists(std::filesystem::path(sdk_dir) / "node_modules" / "@azure" /
                                        "arm-hybridcompute"))
        << "run `npm install` in tests/sdk (scripts/test.sh does)";
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.startHimds();
    auto onboarder =
        sandbox.createServicePrincipal("onboarder", "Azure Connected Machine Onboarding");
    auto connect = sandbox.azcmagent(sandbox.connectArgs(onboarder, "sdk01"));
    ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;

    auto reader = sandbox.createServicePrincipal("sdk-reader", "Reader");
    SpawnOptions options;
    options.env = {{"NODE_EXTRA_CA_CERTS", sandbox.cloud().at("caCertPath").get<std::string>()}};
    auto result = runCommand({"/usr/bin/env", "node", std::string(sdk_dir) + "/list_machines.mjs",
                              sandbox.cloudJson().string(), reader.app_id, reader.password},
                             options);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    auto machines = json::parse(result.out);
    ASSERT_EQ(machines.size(), 1U) << result.out;
    EXPECT_EQ(machines[0].value("name", ""), "sdk01");
    EXPECT_EQ(machines[0].value("status", ""), "Connected");
}

} // namespace
} // namespace azcm::test
