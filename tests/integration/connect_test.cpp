// Onboarding end to end: the real azcmagent connects this machine to a real arc-emulator through
// a real himds, with a secret and with a certificate.
#include "common/agent_version.hpp"
#include "common/paths/paths.hpp"
#include "sandbox.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

void expectConnectedMachine(Sandbox& sandbox, const std::string& name) {
    std::optional<json> machine;
    ASSERT_TRUE(waitUntil(
        [&] {
            machine = sandbox.getMachine("arc-rg", name);
            return machine && machine->at("properties").value("status", "") == "Connected";
        },
        30s))
        << (machine ? machine->dump(2) : "no machine");
    const auto& props = machine->at("properties");
    EXPECT_EQ(props.value("agentVersion", ""), azcm::agentVersion());
    EXPECT_FALSE(props.value("osName", "").empty());
    EXPECT_EQ(props.value("osType", ""), "linux");
    EXPECT_FALSE(props.value("vmId", "").empty());

    auto show = sandbox.azcmagent({"show", "--json"});
    ASSERT_EQ(show.exit_code, 0) << show.err << show.out;
    auto shown = json::parse(show.out);
    EXPECT_EQ(shown.value("status", ""), "Connected");
    EXPECT_EQ(shown.value("vmId", ""), props.value("vmId", ""));
    EXPECT_EQ(shown.value("resourceName", ""), name);
    EXPECT_FALSE(shown.value("lastHeartbeat", "").empty());
}

TEST(ConnectTest, WithServicePrincipalSecret) {
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.startHimds();
    auto sp = sandbox.createServicePrincipal("onboarder", kOnboarding);
    auto result = sandbox.azcmagent(sandbox.connectArgs(sp, "web01"));
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << sandbox.readLog("himds.out");
    EXPECT_NE(result.out.find("Connected machine to Azure"), std::string::npos) << result.out;
    expectConnectedMachine(sandbox, "web01");
    // The private key stays in himds's certs directory, readable by its owner only.
    auto key = Paths(sandbox.root()).certsDir() / "machine.key";
    ASSERT_TRUE(std::filesystem::exists(key));
    EXPECT_EQ(std::filesystem::status(key).permissions() &
                  (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none);
    // The secret never reaches the command log.
    auto log = sandbox.readLog("var/opt/azcmagent/log/azcmagent.log");
    EXPECT_EQ(log.find(sp.password), std::string::npos);
    EXPECT_NE(log.find("connect"), std::string::npos);
}

TEST(ConnectTest, WithServicePrincipalCertificate) {
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.startHimds();
    auto sp = sandbox.createServicePrincipal("cert-onboarder", kOnboarding, {}, true);
    auto result = sandbox.azcmagent(sandbox.connectArgs(sp, "web02"));
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    expectConnectedMachine(sandbox, "web02");
}

TEST(ConnectTest, ShowWorksBeforeConnecting) {
    Sandbox sandbox;
    sandbox.startHimds();
    auto show = sandbox.azcmagent({"show", "--json"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_EQ(json::parse(show.out).value("status", ""), "Disconnected");
    EXPECT_EQ(sandbox.himdsStatus().value("connected", true), false);
}

TEST(ConnectTest, MissingResourceGroupIsCreatedWhenPermitted) {
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.startHimds();
    // Owner of the subscription may create the group; the machine lands in it.
    auto sp = sandbox.createServicePrincipal("owner2", "Owner");
    auto result = sandbox.azcmagent(sandbox.connectArgs(sp, "web03", "new-group"));
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_TRUE(sandbox.getMachine("new-group", "web03").has_value());
}

// A secret in argv is readable by every local user (/proc/<pid>/cmdline); "-" reads it from
// standard input instead.
TEST(ConnectTest, SecretFromStandardInputNeverReachesTheCommandLine) {
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.startHimds();
    auto sp = sandbox.createServicePrincipal("stdin-onboarder", kOnboarding);
    auto result = sandbox.azcmagentWithInput(
        {"connect", "--subscription-id", sandbox.subscription(), "--resource-group", "arc-rg",
         "--location", "westeurope", "--resource-name", "web04", "--cloud-config",
         sandbox.cloudJson().string(), "--service-principal-id", sp.app_id, "--tenant-id",
         sp.tenant, "--service-principal-secret", "-"},
        sp.password);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(result.err.find("WARNING"), std::string::npos) << result.err;
    expectConnectedMachine(sandbox, "web04");
    EXPECT_EQ(sandbox.readLog("var/opt/azcmagent/log/azcmagent.log").find(sp.password),
              std::string::npos);
}

TEST(ConnectTest, SecretsOnTheCommandLineAreWarnedAboutAndExitCodesStay) {
    Sandbox sandbox;
    // No --resource-group: the command fails as it always did, after the warning.
    auto secret = sandbox.azcmagent({"connect", "--subscription-id",
                                     "00000000-0000-0000-0000-000000000001", "--location",
                                     "westeurope", "-i", "app", "-t", "tenant", "-p", "pw-123"});
    EXPECT_EQ(secret.exit_code, 16) << secret.out << secret.err;
    EXPECT_NE(secret.err.find("WARNING the value of -p on the command line can be read by other "
                              "users of this machine"),
              std::string::npos)
        << secret.err;
    EXPECT_NE(secret.err.find("--config"), std::string::npos) << secret.err;
    EXPECT_EQ(secret.err.find("pw-123"), std::string::npos) << secret.err;

    auto token = sandbox.azcmagent({"disconnect", "--access-token", "a.b.c"});
    EXPECT_NE(token.err.find("WARNING the value of --access-token on the command line"),
              std::string::npos)
        << token.err;
}

} // namespace
} // namespace azcm::test
