#include "azcmagent/app.hpp"
#include "common/agent_version.hpp"
#include "common/fs/atomic_file.hpp"
#include "fake_environment.hpp"

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

using nlohmann::json;
using test::FakeEnvironment;

const std::vector<std::string> kValidConnect{
    "connect", "-i",   "app-id", "-p",    "top-secret-value", "-t", "tenant-1", "-s", "sub-1",
    "-g",      "rg-1", "-l",     "eastus"};

std::vector<std::string> with(std::vector<std::string> base, std::vector<std::string> extra) {
    base.insert(base.end(), extra.begin(), extra.end());
    return base;
}

TEST(App, VersionText) {
    FakeEnvironment fake;
    fake.elevated = false;
    EXPECT_EQ(runCli({"version"}, fake.env()), 0);
    EXPECT_EQ(fake.out(), std::string("azcmagent version ") + azcm::agentVersion() + "\n");
}

TEST(App, VersionJson) {
    FakeEnvironment fake;
    EXPECT_EQ(runCli({"version", "-j"}, fake.env()), 0);
    EXPECT_EQ(json::parse(fake.out()).at("version"), azcm::agentVersion());
}

TEST(App, NoCommandAndHelpPrintUsage) {
    FakeEnvironment fake;
    EXPECT_EQ(runCli({}, fake.env()), 0);
    EXPECT_NE(fake.out().find("connect"), std::string::npos);
    FakeEnvironment fake2;
    EXPECT_EQ(runCli({"help", "connect"}, fake2.env()), 0);
    EXPECT_NE(fake2.out().find("--service-principal-id"), std::string::npos);
    FakeEnvironment fake3;
    EXPECT_EQ(runCli({"connect", "--help"}, fake3.env()), 0);
    EXPECT_NE(fake3.out().find("--resource-group"), std::string::npos);
}

TEST(App, UnknownFlagIs23) {
    FakeEnvironment fake;
    EXPECT_EQ(runCli({"show", "--bogus"}, fake.env()), 23);
    EXPECT_EQ(fake.out().rfind("AZCM0023: ", 0), 0u) << fake.out();
}

TEST(App, ErrorsGoToStderrWithLogStderrAndJsonShape) {
    FakeEnvironment fake;
    fake.elevated = false;
    // The secret comes on standard input: one in argv would put its warning on stderr first.
    auto args = with(kValidConnect, {"--log-stderr", "-j"});
    std::replace(args.begin(), args.end(), std::string("top-secret-value"), std::string("-"));
    fake.setInput("top-secret-value\n");
    EXPECT_EQ(runCli(args, fake.env()), 18);
    EXPECT_TRUE(fake.out().empty());
    EXPECT_EQ(json::parse(fake.err()).at("error").at("code"), "AZCM0018");
}

TEST(App, ShowWorksUnprivilegedWhenNotConnected) {
    FakeEnvironment fake;
    fake.elevated = false;
    EXPECT_EQ(runCli({"show"}, fake.env()), 0);
    EXPECT_NE(fake.out().find("Agent Status                            : Disconnected\n"),
              std::string::npos)
        << fake.out();
}

TEST(App, ShowConnectedJsonAndSelectedProperties) {
    FakeEnvironment fake;
    fake.elevated = false;
    test::writeConnectedConfig(fake.env());
    EXPECT_EQ(runCli({"show", "--json"}, fake.env()), 0);
    const auto document = json::parse(fake.out());
    EXPECT_EQ(document.at("status"), "Connected");
    EXPECT_EQ(document.at("resourceName"), "web01");
    EXPECT_EQ(document.at("services").at(0).at("status"), "running");

    FakeEnvironment fake2;
    test::writeConnectedConfig(fake2.env());
    EXPECT_EQ(runCli({"show", "status", "lastHeartbeat"}, fake2.env()), 0);
    EXPECT_EQ(fake2.out(), "Agent Status                            : Connected\n"
                           "Agent Last Heartbeat                    : 2026-11-28T13:45:00Z\n");
}

TEST(App, ShowNeverFailsBecauseHimdsIsDown) {
    FakeEnvironment fake;
    fake.himds_up = false;
    test::writeConnectedConfig(fake.env());
    EXPECT_EQ(runCli({"show", "-j"}, fake.env()), 0);
    const auto document = json::parse(fake.out());
    EXPECT_EQ(document.at("services").at(0).at("status"), "stopped");
    EXPECT_EQ(document.at("status"), "Disconnected");
}

TEST(App, MissingConfigFileIs19AndBadJsonIs23) {
    FakeEnvironment fake;
    EXPECT_EQ(
        runCli(with(kValidConnect, {"--config", (fake.root() / "none.json").string()}), fake.env()),
        19);
    EXPECT_NE(fake.out().find("AZCM0019"), std::string::npos);

    FakeEnvironment fake2;
    std::ofstream(fake2.root() / "bad.json") << "{oops";
    EXPECT_EQ(runCli(with(kValidConnect, {"--config", (fake2.root() / "bad.json").string()}),
                     fake2.env()),
              23);
}

TEST(App, ConfigFileSuppliesTheSecret) {
    FakeEnvironment fake;
    std::ofstream(fake.root() / "cfg.json")
        << R"({"service-principal-id":"app-id","service-principal-secret":"file-secret",
              "tenant-id":"tenant-1","subscription-id":"sub-1","resource-group":"rg-1",
              "location":"westus"})";
    EXPECT_EQ(runCli({"connect", "-l", "eastus", "--config", (fake.root() / "cfg.json").string()},
                     fake.env()),
              0)
        << fake.out();
    bool token_with_file_secret = false;
    for (const auto& call : fake.https_calls) {
        token_with_file_secret = token_with_file_secret ||
                                 call.body.find("client_secret=file-secret") != std::string::npos;
    }
    EXPECT_TRUE(token_with_file_secret);
    auto saved = json::parse(fs::readFile(fake.env().paths.agentConfig()).value());
    EXPECT_EQ(saved.at("location"), "eastus"); // the command line wins
}

TEST(App, CommandIsLoggedWithSecretsRedacted) {
    FakeEnvironment fake;
    fake.elevated = false;
    runCli(with(kValidConnect, {"--access-token", "a.b.c"}), fake.env());
    spdlog::default_logger()->flush();
    auto log = fs::readFile(fake.env().paths.logFile("azcmagent"));
    ASSERT_TRUE(log) << log.error().message;
    EXPECT_NE(log.value().find("CLI_COMMAND azcmagent connect -i app-id -p REDACTED"),
              std::string::npos)
        << log.value();
    EXPECT_EQ(log.value().find("top-secret-value"), std::string::npos);
    EXPECT_EQ(log.value().find("a.b.c"), std::string::npos);
    EXPECT_NE(log.value().find("CLI_EXIT code=23"), std::string::npos) << log.value();
}

TEST(App, ConnectValidatesBeforePrivilege) {
    FakeEnvironment fake;
    fake.elevated = false;
    EXPECT_EQ(runCli(with(kValidConnect, {"-n", std::string(55, 'x')}), fake.env()), 23);
    EXPECT_NE(fake.out().find("54 characters"), std::string::npos);
    FakeEnvironment fake2;
    fake2.elevated = false;
    EXPECT_EQ(runCli(kValidConnect, fake2.env()), 18);
    EXPECT_NE(fake2.out().find("AZCM0018"), std::string::npos);
    EXPECT_TRUE(fake2.https_calls.empty());
}

TEST(App, NonRootGets18BeforeAnyFileIsRead) {
    // cloud.json and certificate files are typically root-only: a non-root caller must learn
    // that it needs root, not that a file is unreadable.
    FakeEnvironment fake;
    fake.elevated = false;
    EXPECT_EQ(runCli({"connect", "-i", "a", "--service-principal-cert", "/nonexistent/sp.pem", "-g",
                      "rg", "-l", "eastus", "--cloud-config", "/nonexistent/cloud.json"},
                     fake.env()),
              18)
        << fake.out();
    FakeEnvironment fake2;
    fake2.elevated = false;
    test::writeConnectedConfig(fake2.env());
    EXPECT_EQ(runCli({"disconnect", "-i", "a", "--service-principal-cert", "/nonexistent/sp.pem"},
                     fake2.env()),
              18)
        << fake2.out();
}

TEST(App, ConnectRequiredFlagsAndCredentials) {
    FakeEnvironment fake;
    EXPECT_EQ(
        runCli({"connect", "-i", "a", "-p", "b", "-t", "t", "-s", "s", "-g", "g"}, fake.env()), 16);
    EXPECT_NE(fake.out().find("--location"), std::string::npos);
    FakeEnvironment fake2;
    EXPECT_EQ(runCli({"connect", "-s", "s", "-g", "g", "-l", "eastus"}, fake2.env()), 16);
    FakeEnvironment fake3;
    EXPECT_EQ(runCli({"connect", "-i", "a", "-p", "b", "-s", "s", "-g", "g", "-l", "eastus"},
                     fake3.env()),
              16); // no tenant
    FakeEnvironment fake4;
    EXPECT_EQ(runCli(with(kValidConnect, {"--access-token", "x.y.z"}), fake4.env()), 23);
    FakeEnvironment fake5;
    EXPECT_EQ(runCli(with(kValidConnect, {"--tags", "a='open"}), fake5.env()), 23);
}

TEST(App, AlreadyConnectedIs67WithTheResourceId) {
    FakeEnvironment fake;
    test::writeConnectedConfig(fake.env());
    EXPECT_EQ(runCli(kValidConnect, fake.env()), 67);
    EXPECT_NE(fake.out().find("AZCM0067"), std::string::npos);
    EXPECT_NE(fake.out().find("/subscriptions/sub-1/resourceGroups/rg-1/providers/"
                              "Microsoft.HybridCompute/machines/web01"),
              std::string::npos);
    EXPECT_TRUE(fake.https_calls.empty());
}

TEST(App, AzureVmRefusedUnlessTestOverride) {
    FakeEnvironment fake;
    fake.azure_vm = true;
    EXPECT_EQ(runCli(kValidConnect, fake.env()), 141);
    EXPECT_NE(fake.out().find("AZCM0141"), std::string::npos);
    FakeEnvironment fake2;
    fake2.azure_vm = true;
    fake2.environment["MSFT_ARC_TEST"] = "true";
    EXPECT_EQ(runCli(kValidConnect, fake2.env()), 0) << fake2.out();
}

TEST(App, DisconnectNeedsRootAndAConnection) {
    FakeEnvironment fake;
    fake.elevated = false;
    EXPECT_EQ(runCli({"disconnect", "--force-local-only"}, fake.env()), 18);
    FakeEnvironment fake2;
    EXPECT_EQ(runCli({"disconnect", "-i", "a", "-p", "b", "-t", "t"}, fake2.env()), 1);
    EXPECT_NE(fake2.out().find("not connected"), std::string::npos);
}

} // namespace
} // namespace azcm::azcmagent
