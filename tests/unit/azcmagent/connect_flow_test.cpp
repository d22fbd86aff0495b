#include "azcmagent/app.hpp"
#include "common/fs/atomic_file.hpp"
#include "fake_environment.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

using nlohmann::json;
using test::FakeEnvironment;

const std::vector<std::string> kConnect{
    "connect", "-i",       "app-id",  "-p",     "s3cret",
    "-t",      "tenant-1", "-s",      "sub-1",  "-g",
    "rg-1",    "-l",       "East US", "--tags", "env=prod,owner='ops team'"};
const std::string kMachineUrl = "https://management.azure.com/subscriptions/sub-1/resourceGroups/"
                                "rg-1/providers/Microsoft.HybridCompute/machines/web01"
                                "?api-version=2024-07-10";

bool called(const std::vector<test::RecordedCall>& calls,
            const std::string& method,
            const std::string& target_part) {
    return std::any_of(calls.begin(), calls.end(), [&](const test::RecordedCall& call) {
        return call.method == method && call.target.find(target_part) != std::string::npos;
    });
}

std::vector<std::string> withNoColor(std::vector<std::string> args) {
    args.push_back("--no-color");
    return args;
}

bool configExists(FakeEnvironment& fake) {
    return std::filesystem::exists(fake.env().paths.agentConfig());
}

// The machine PUT asks ARM for automatic upgrades only when told to; without the flag the body
// names no agentUpgrade, so a reconnect keeps what an administrator set.
TEST(ConnectFlow, EnableAutomaticUpgradeSetsTheArmFlag) {
    const auto putBody = [](const std::vector<std::string>& args) {
        FakeEnvironment fake;
        EXPECT_EQ(runCli(args, fake.env()), 0) << fake.out();
        for (const auto& call : fake.https_calls) {
            if (call.method == "PUT" && call.target == kMachineUrl) {
                return json::parse(call.body);
            }
        }
        return json();
    };
    auto with_flag = kConnect;
    with_flag.push_back("--enable-automatic-upgrade");
    EXPECT_EQ(putBody(with_flag)["properties"]["agentUpgrade"],
              json({{"enableAutomaticUpgrade", true}}));
    EXPECT_FALSE(putBody(kConnect)["properties"].contains("agentUpgrade"));
}

TEST(ConnectFlow, HappyPathWithSecret) {
    FakeEnvironment fake;
    ASSERT_EQ(runCli(kConnect, fake.env()), 0) << fake.out();

    ASSERT_EQ(fake.https_calls.size(), 4u);
    EXPECT_EQ(fake.https_calls[0].method, "GET");
    EXPECT_EQ(fake.https_calls[0].target, "https://login.microsoftonline.com/tenant-1/v2.0/"
                                          ".well-known/openid-configuration");
    const auto& token = fake.https_calls[1];
    EXPECT_EQ(token.target, "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token");
    EXPECT_NE(token.body.find("grant_type=client_credentials"), std::string::npos);
    EXPECT_NE(token.body.find("client_id=app-id"), std::string::npos);
    EXPECT_NE(token.body.find("client_secret=s3cret"), std::string::npos);
    EXPECT_NE(token.body.find("scope=https%3A%2F%2Fmanagement.azure.com%2F.default"),
              std::string::npos);
    const auto& put = fake.https_calls[2];
    EXPECT_EQ(put.method, "PUT");
    EXPECT_EQ(put.target, kMachineUrl);
    EXPECT_EQ(put.authorization, "Bearer arm-token");
    const auto body = json::parse(put.body);
    EXPECT_EQ(body.at("location"), "eastus");
    EXPECT_EQ(body.at("identity").at("type"), "SystemAssigned");
    EXPECT_EQ(body.at("properties").at("clientPublicKey"), "PUBKEY");
    EXPECT_EQ(body.at("tags").at("owner"), "ops team");
    const auto& cert = fake.https_calls[3];
    EXPECT_EQ(cert.target, "https://gbl.his.arc.azure.com/machines/certificate");
    EXPECT_EQ(cert.authorization, "Bearer arm-token");
    EXPECT_EQ(json::parse(cert.body).at("csr"), "CSR-PEM");
    EXPECT_EQ(json::parse(cert.body).at("resourceId"),
              "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.HybridCompute/"
              "machines/web01");

    ASSERT_EQ(fake.himds_calls.size(), 2u);
    EXPECT_EQ(fake.himds_calls[0].target, "/identity/keys");
    EXPECT_EQ(json::parse(fake.himds_calls[0].body).at("commonName"), "web01");
    EXPECT_EQ(fake.himds_calls[1].target, "/identity/activate");
    EXPECT_EQ(json::parse(fake.himds_calls[1].body).at("certificate"), test::kFakeCertificatePem);

    const auto saved = json::parse(fs::readFile(fake.env().paths.agentConfig()).value());
    EXPECT_EQ(saved.at("vmId"), "vm-123");
    EXPECT_EQ(saved.at("tenantId"), "tenant-1");
    EXPECT_EQ(saved.at("location"), "eastus");
    EXPECT_EQ(saved.at("tags").at("env"), "prod");
    EXPECT_EQ(saved.at("cloud").at("name"), "AzureCloud");
    EXPECT_EQ(saved.at("correlationId").get<std::string>().size(), 36u);

    EXPECT_NE(fake.out().find("Connected machine to Azure\n"), std::string::npos);
    EXPECT_NE(fake.out().find("Machine overview page: https://portal.azure.com/#@tenant-1/resource/"
                              "subscriptions/sub-1/resourceGroups/rg-1/"),
              std::string::npos);
    EXPECT_EQ(fake.out().find("[1/6]"), std::string::npos); // no progress off a terminal
}

TEST(ConnectFlow, ProgressOnATerminalOnly) {
    FakeEnvironment fake;
    fake.env().interactive = true;
    ASSERT_EQ(runCli(withNoColor(kConnect), fake.env()), 0);
    EXPECT_NE(fake.out().find("  [1/6] Testing connectivity to endpoints..."), std::string::npos);
    EXPECT_EQ(fake.out().find("\x1b["), std::string::npos); // --no-color
}

TEST(ConnectFlow, JsonOutput) {
    FakeEnvironment fake;
    auto args = kConnect;
    args.push_back("-j");
    ASSERT_EQ(runCli(args, fake.env()), 0);
    const auto document = json::parse(fake.out());
    EXPECT_EQ(document.at("status"), "Connected");
    EXPECT_EQ(document.at("vmId"), "vm-123");
    EXPECT_NE(document.at("portalPage").get<std::string>().find("portal.azure.com"),
              std::string::npos);
}

TEST(ConnectFlow, AccessTokenIsUsedAsIs) {
    FakeEnvironment fake;
    ASSERT_EQ(runCli({"connect", "--access-token", "hdr.payload.sig", "-t", "tenant-1", "-s",
                      "sub-1", "-g", "rg-1", "-l", "eastus"},
                     fake.env()),
              0)
        << fake.out();
    EXPECT_FALSE(called(fake.https_calls, "POST", "/oauth2/v2.0/token"));
    for (const auto& call : fake.https_calls) {
        if (call.method == "PUT" ||
            call.target.find("/machines/certificate") != std::string::npos) {
            EXPECT_EQ(call.authorization, "Bearer hdr.payload.sig");
        }
    }
}

TEST(ConnectFlow, NetworkDownIs26NothingWritten) {
    FakeEnvironment fake;
    fake.network_down = true;
    EXPECT_EQ(runCli(kConnect, fake.env()), 26);
    EXPECT_NE(fake.out().find("AZCM0026: Network Error"), std::string::npos) << fake.out();
    EXPECT_EQ(fake.https_calls.size(), 1u);
    EXPECT_TRUE(fake.himds_calls.empty());
    EXPECT_FALSE(configExists(fake));
}

TEST(ConnectFlow, BadSecretIs41WithDescription) {
    FakeEnvironment fake;
    fake.answers["token"] = {401,
                             R"({"error":"invalid_client","error_description":"AADSTS7000215"})"};
    EXPECT_EQ(runCli(kConnect, fake.env()), 41);
    EXPECT_NE(fake.out().find("AADSTS7000215"), std::string::npos);
    EXPECT_TRUE(fake.himds_calls.empty());
    EXPECT_FALSE(configExists(fake));
}

TEST(ConnectFlow, HimdsDownIs64BeforeAnyResource) {
    FakeEnvironment fake;
    fake.himds_up = false;
    EXPECT_EQ(runCli(kConnect, fake.env()), 64);
    EXPECT_NE(fake.out().find("himds"), std::string::npos);
    EXPECT_EQ(fake.machine_puts, 0);
}

TEST(ConnectFlow, ArmForbiddenIs42AndPendingKeyDropped) {
    FakeEnvironment fake;
    fake.answers["put"] = {403, R"({"error":{"code":"AuthorizationFailed","message":"denied"}})"};
    EXPECT_EQ(runCli(kConnect, fake.env()), 42);
    EXPECT_NE(fake.out().find("AuthorizationFailed"), std::string::npos);
    EXPECT_TRUE(called(fake.himds_calls, "POST", "/identity/deactivate"));
    EXPECT_FALSE(called(fake.https_calls, "DELETE", "/machines/web01"));
    EXPECT_FALSE(configExists(fake));
}

TEST(ConnectFlow, MissingResourceGroupIsCreated) {
    FakeEnvironment fake;
    fake.answers["put_first"] = {404,
                                 R"({"error":{"code":"ResourceGroupNotFound","message":"x"}})"};
    ASSERT_EQ(runCli(kConnect, fake.env()), 0) << fake.out();
    EXPECT_EQ(fake.machine_puts, 2);
    EXPECT_TRUE(called(fake.https_calls, "PUT",
                       "https://management.azure.com/subscriptions/sub-1/resourcegroups/rg-1"
                       "?api-version=2022-09-01"));
}

TEST(ConnectFlow, CertificateFailureIs81AndRollsBack) {
    FakeEnvironment fake;
    fake.answers["cert"] = {400, R"({"error":{"code":"KeyMismatch","message":"no"}})"};
    EXPECT_EQ(runCli(kConnect, fake.env()), 81);
    EXPECT_TRUE(called(fake.https_calls, "DELETE", "/machines/web01"));
    EXPECT_TRUE(called(fake.himds_calls, "POST", "/identity/deactivate"));
    EXPECT_FALSE(configExists(fake));
}

TEST(ConnectFlow, ActivationFailureRemovesConfig) {
    FakeEnvironment fake;
    auto& env = fake.env();
    auto real = env.himds;
    env.himds = [real](http::Verb method, const std::string& target, const std::string& body,
                       std::chrono::milliseconds timeout) -> Result<http::Response> {
        if (target == "/identity/activate") {
            http::Response response{http::Status::bad_request, 11};
            response.body() = R"({"error":{"code":"ChainInvalid","message":"untrusted"}})";
            return response;
        }
        return real(method, target, body, timeout);
    };
    EXPECT_EQ(runCli(kConnect, env), 62);
    EXPECT_NE(fake.out().find("untrusted"), std::string::npos);
    EXPECT_FALSE(configExists(fake));
    EXPECT_TRUE(called(fake.https_calls, "DELETE", "/machines/web01"));
}

TEST(ConnectFlow, CloudConfigGivesEndpointsAndDefaults) {
    FakeEnvironment fake;
    const auto cloud_path = fake.root() / "cloud.json";
    std::ofstream(cloud_path) << R"({"name":"ArcEmulator","tenantId":"emu-tenant",
        "subscriptionId":"emu-sub","caCertPath":"/tmp/emu-ca.pem",
        "endpoints":{"entra":"https://127.0.0.1:8443","arm":"https://127.0.0.1:8443/arm",
                     "identity":"https://127.0.0.1:8443/his",
                     "guestConfiguration":"https://127.0.0.1:8443/gc"}})";
    ASSERT_EQ(runCli({"connect", "-i", "app", "-p", "pw", "-g", "rg-1", "-l", "eastus",
                      "--cloud-config", cloud_path.string()},
                     fake.env()),
              0)
        << fake.out();
    EXPECT_TRUE(
        called(fake.https_calls, "POST", "https://127.0.0.1:8443/emu-tenant/oauth2/v2.0/token"));
    EXPECT_TRUE(called(fake.https_calls, "PUT",
                       "https://127.0.0.1:8443/arm/subscriptions/emu-sub/resourceGroups/rg-1/"));
    EXPECT_TRUE(
        called(fake.https_calls, "POST", "https://127.0.0.1:8443/his/machines/certificate"));
    const auto saved = json::parse(fs::readFile(fake.env().paths.agentConfig()).value());
    EXPECT_EQ(saved.at("cloud").at("name"), "ArcEmulator");
    EXPECT_EQ(saved.at("cloud").at("caCertPath"), "/tmp/emu-ca.pem");
    EXPECT_EQ(saved.at("tenantId"), "emu-tenant");
}

TEST(ConnectFlow, MalformedCloudConfigIs75NothingTouched) {
    FakeEnvironment fake;
    const auto cloud_path = fake.root() / "cloud.json";
    std::ofstream(cloud_path) << R"({"endpoints":{"entra":"http://insecure"}})";
    EXPECT_EQ(runCli({"connect", "-i", "app", "-p", "pw", "-t", "t", "-s", "s", "-g", "rg-1", "-l",
                      "eastus", "--cloud-config", cloud_path.string()},
                     fake.env()),
              75);
    EXPECT_TRUE(fake.https_calls.empty());
    EXPECT_FALSE(configExists(fake));
}

TEST(DisconnectFlow, DeletesResourceThenLocalIdentity) {
    FakeEnvironment fake;
    test::writeConnectedConfig(fake.env());
    ASSERT_EQ(runCli({"disconnect", "-i", "app", "-p", "pw"}, fake.env()), 0) << fake.out();
    EXPECT_TRUE(called(fake.https_calls, "POST", "/tenant-1/oauth2/v2.0/token"));
    EXPECT_TRUE(called(fake.https_calls, "DELETE", kMachineUrl));
    EXPECT_TRUE(called(fake.himds_calls, "POST", "/identity/deactivate"));
    EXPECT_FALSE(configExists(fake));
    auto backup = fake.env().paths.agentConfig();
    backup += ".bak";
    EXPECT_TRUE(std::filesystem::exists(backup));
    EXPECT_NE(fake.out().find("Successfully disconnected"), std::string::npos);
}

TEST(DisconnectFlow, ForbiddenDeleteIs43AndKeepsIdentity) {
    FakeEnvironment fake;
    test::writeConnectedConfig(fake.env());
    fake.answers["delete"] = {403, R"({"error":{"code":"AuthorizationFailed","message":"no"}})"};
    EXPECT_EQ(runCli({"disconnect", "-i", "app", "-p", "pw"}, fake.env()), 43);
    EXPECT_NE(fake.out().find("AZCM0043: Failed to delete the Azure resource"), std::string::npos);
    EXPECT_NE(fake.out().find("--force-local-only"), std::string::npos);
    EXPECT_TRUE(configExists(fake));
    EXPECT_FALSE(called(fake.himds_calls, "POST", "/identity/deactivate"));
}

TEST(DisconnectFlow, ForceLocalOnlyMakesNoNetworkCallAndCleansFilesWithoutHimds) {
    FakeEnvironment fake;
    test::writeConnectedConfig(fake.env());
    fake.himds_up = false;
    const auto certs = fake.env().paths.certsDir();
    ASSERT_TRUE(fs::ensureDirectory(certs, {0700, {}}));
    for (const char* name : {"machine.key", "machine.crt", "pending.key"}) {
        ASSERT_TRUE(fs::writeFileAtomic(certs / name, "x"));
    }
    ASSERT_EQ(runCli({"disconnect", "--force-local-only"}, fake.env()), 0) << fake.out();
    EXPECT_TRUE(fake.https_calls.empty());
    for (const char* name : {"machine.key", "machine.crt", "pending.key"}) {
        EXPECT_FALSE(std::filesystem::exists(certs / name)) << name;
    }
    EXPECT_FALSE(configExists(fake));
}

} // namespace
} // namespace azcm::azcmagent
