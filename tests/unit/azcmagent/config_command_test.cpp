// `azcmagent config` run in-process against a fake environment: every key's valid and invalid
// forms, clear, --add/--remove, monitor mode, privileges and the reload report.
#include "azcmagent/app.hpp"
#include "common/config/config_keys.hpp"
#include "common/config/config_values.hpp"
#include "common/config/extension_policy.hpp"
#include "common/config/local_config.hpp"
#include "common/config/monitor_mode.hpp"
#include "common/fs/atomic_file.hpp"
#include "fake_environment.hpp"

#include <filesystem>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

namespace azcm::azcmagent {
namespace {

using nlohmann::json;
using test::FakeEnvironment;

struct CliRun {
    int code = -1;
    std::string out;
    std::string err;
};

http::Response answer(unsigned status, std::string body) {
    http::Response response{static_cast<http::Status>(status), 11};
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

class ConfigCommandTest : public ::testing::Test {
protected:
    CliRun run(const std::vector<std::string>& args) {
        const auto out_before = fake_.out().size();
        const auto err_before = fake_.err().size();
        CliRun result;
        result.code = runCli(args, fake_.env());
        result.out = fake_.out().substr(out_before);
        result.err = fake_.err().substr(err_before);
        return result;
    }
    // `config get KEY` as scripts use it: the value alone, without the newline.
    std::string get(const std::string& key) {
        auto result = run({"config", "get", key});
        EXPECT_EQ(result.code, 0) << result.out;
        if (!result.out.empty() && result.out.back() == '\n') {
            result.out.pop_back();
        }
        return result.out;
    }
    std::filesystem::path file() { return fake_.env().paths.localConfig(); }
    std::string fileText() {
        auto text = fs::readFile(file());
        return text ? text.value() : std::string("<missing>");
    }
    json fileJson() { return json::parse(fileText()); }

    FakeEnvironment fake_;
};

struct ValidCase {
    std::string key;
    std::string value;
    std::string shown; // `config get` text
};

const std::vector<ValidCase> kValid = {
    {"incomingconnections.enabled", "false", "false"},
    {"incomingconnections.enabled", "TRUE", "true"},
    {"incomingconnections.ports", "22", "[22]"},
    {"incomingconnections.ports", " 22 , 6516,0443 ", "[22, 6516, 443]"},
    {"incomingconnections.ports", "1,65535,22,22", "[1, 65535, 22]"},
    {"connection.type", "gateway", "gateway"},
    {"connection.type", "Direct", "direct"},
    {"proxy.url", "http://proxy:3128", "http://proxy:3128"},
    {"proxy.url", "http://10.0.0.1", "http://10.0.0.1"},
    {"proxy.url", "HTTP://proxy.corp.example:8080/", "http://proxy.corp.example:8080"},
    {"proxy.url", "http://[::1]:3128", "http://[::1]:3128"},
    {"proxy.url", "http://user:p%40ss@proxy:3128", "http://***@proxy:3128"},
    {"proxy.bypass", "AAD", "[AAD]"},
    {"proxy.bypass", "aad,arm,ARC,ama,arcdata", "[AAD, ARM, Arc, AMA, ArcData]"},
    {"extensions.allowlist",
     "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent,Microsoft.Azure.Security/X",
     "[Microsoft.Azure.Monitor/AzureMonitorLinuxAgent, Microsoft.Azure.Security/X]"},
    {"extensions.allowlist", "allow/none", "[Allow/None]"},
    {"extensions.allowlist", "Pub_1.x-y/Type-2_z.w", "[Pub_1.x-y/Type-2_z.w]"},
    {"extensions.blocklist", "Microsoft.CPlat.Core/RunCommandHandlerLinux",
     "[Microsoft.CPlat.Core/RunCommandHandlerLinux]"},
    {"extensions.blocklist", "A/B,a/b,C/D", "[A/B, C/D]"},
    {"guestconfiguration.enabled", "false", "false"},
    {"extensions.enabled", "false", "false"},
    {"config.mode", "monitor", "monitor"},
    {"config.mode", "FULL", "full"},
    {"guestconfiguration.agent.cpulimit", "1", "1"},
    {"guestconfiguration.agent.cpulimit", "100", "100"},
    {"extensions.agent.cpulimit", "80", "80"},
};

TEST_F(ConfigCommandTest, EveryValidFormIsAcceptedAndShown) {
    for (const auto& c : kValid) {
        SCOPED_TRACE(c.key + " = " + c.value);
        auto set = run({"config", "set", c.key, c.value});
        ASSERT_EQ(set.code, 0) << set.out << set.err;
        EXPECT_NE(set.out.find("Config property " + c.key + " set to value " + c.shown),
                  std::string::npos)
            << set.out;
        EXPECT_EQ(get(c.key), c.shown);
        auto list = run({"config", "list"});
        EXPECT_NE(list.out.find(" : " + c.shown + "\n"), std::string::npos) << list.out;
        // --json: a JSON value of the key's type.
        auto as_json = run({"config", "get", c.key, "--json"});
        ASSERT_EQ(as_json.code, 0);
        EXPECT_EQ(json::parse(as_json.out), json::parse(run({"config", "list", "-j"}).out)[c.key]);
        EXPECT_EQ((std::filesystem::status(file()).permissions() & std::filesystem::perms::all),
                  std::filesystem::perms(0644));
    }
}

// Every row of the table through the command itself: set its example, read it back as the file
// holds it, be refused a bad value without the file changing, ask its daemons to reload, clear.
TEST_F(ConfigCommandTest, EveryKeyOfTheTableWorksThroughTheCommand) {
    for (const auto& key : config::configKeys()) {
        SCOPED_TRACE(key.name + " = " + key.example);
        auto set = run({"config", "set", key.name, key.example, "--json"});
        ASSERT_EQ(set.code, 0) << set.out << set.err;
        const auto reported = json::parse(set.out);
        std::vector<std::string> reloaded;
        for (const auto& service : reported["services"]) {
            reloaded.push_back(service["name"].get<std::string>());
        }
        EXPECT_EQ(reloaded, key.applied_by);
        EXPECT_EQ(reported["value"], fileJson()[key.name]);
        EXPECT_EQ(json::parse(run({"config", "get", key.name, "-j"}).out), fileJson()[key.name]);
        EXPECT_NE(get(key.name), config::defaultText(key));

        const auto before = fileText();
        auto refused = run({"config", "set", key.name, ""});
        EXPECT_EQ(refused.code, 23) << refused.out;
        EXPECT_EQ(fileText(), before);

        ASSERT_EQ(run({"config", "clear", key.name}).code, 0);
        EXPECT_EQ(get(key.name), config::defaultText(key));
    }
}

TEST_F(ConfigCommandTest, JsonValuesHaveTheKeysTypes) {
    ASSERT_EQ(run({"config", "set", "extensions.allowlist", "A/B,C/D"}).code, 0);
    EXPECT_EQ(json::parse(run({"config", "get", "extensions.allowlist", "-j"}).out),
              json({"A/B", "C/D"}));
    EXPECT_EQ(json::parse(run({"config", "get", "extensions.enabled", "-j"}).out), json(true));
    EXPECT_EQ(json::parse(run({"config", "get", "extensions.agent.cpulimit", "-j"}).out), json(5));
    EXPECT_EQ(json::parse(run({"config", "get", "connection.type", "-j"}).out), json("direct"));
}

TEST_F(ConfigCommandTest, ProxyCredentialsAreStoredButNeverShown) {
    ASSERT_EQ(run({"config", "set", "proxy.url", "http://alice:s3cret@proxy:3128"}).code, 0);
    // localconfig.json is world-readable: the credentials are in the secret file beside it.
    EXPECT_EQ(fileJson()["proxy.url"], "http://***@proxy:3128");
    EXPECT_EQ(config::loadLocalConfig(file()).value().proxy_url, "http://alice:s3cret@proxy:3128");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"config", "get", "proxy.url"}, {"config", "list"}, {"config", "list", "-j"}}) {
        auto result = run(args);
        EXPECT_EQ(result.out.find("s3cret"), std::string::npos) << result.out;
        EXPECT_EQ(result.out.find("alice"), std::string::npos) << result.out;
    }
}

struct InvalidCase {
    std::vector<std::string> args; // after "config"
};

// Each must be refused before anything is written.

const std::vector<InvalidCase> kInvalid = {
    {{"set", "incomingconnections.enabled", "yes"}},
    {{"set", "incomingconnections.enabled", "1"}},
    {{"set", "incomingconnections.enabled", ""}},
    {{"set", "incomingconnections.ports", "0"}},
    {{"set", "incomingconnections.ports", "65536"}},
    {{"set", "incomingconnections.ports", "ssh"}},
    {{"set", "incomingconnections.ports", "22,,80"}},
    {{"set", "incomingconnections.ports", "22;80"}},
    {{"set", "incomingconnections.ports", "+22"}},
    {{"set", "connection.type", "default"}},
    {{"set", "connection.type", "proxy"}},
    {{"set", "proxy.url", "https://proxy:3128"}},
    {{"set", "proxy.url", "proxy:3128"}},
    {{"set", "proxy.url", "ftp://proxy:21"}},
    {{"set", "proxy.url", "http://"}},
    {{"set", "proxy.url", "http://proxy:0"}},
    {{"set", "proxy.url", "http://proxy:65536"}},
    {{"set", "proxy.url", "http://proxy:port"}},
    {{"set", "proxy.url", "http://proxy:3128/path"}},
    {{"set", "proxy.url", "http://proxy:3128?x=1"}},
    {{"set", "proxy.url", "http://pro xy:80"}},
    {{"set", "proxy.url", "http://[zz::1]:80"}},
    {{"set", "proxy.url", "http://[fe80::1%eth0]:80"}}, // a zone is no part of a URL's host
    {{"set", "proxy.url", "http://user name@proxy:80"}},
    {{"set", "proxy.bypass", "Storage"}},
    {{"set", "proxy.bypass", "AAD,"}},
    {{"set", "proxy.bypass", ""}},
    {{"set", "extensions.allowlist", "Microsoft.Azure.Monitor"}},
    {{"set", "extensions.allowlist", "a/b/c"}},
    {{"set", "extensions.allowlist", "Pub/Ty pe"}},
    {{"set", "extensions.allowlist", "/Type"}},
    {{"set", "extensions.allowlist", "Pub/"}},
    {{"set", "extensions.allowlist", "Allow/None,Pub/Type"}},
    {{"set", "extensions.blocklist", "Allow/None"}},
    {{"set", "extensions.blocklist", "NoSlash"}},
    {{"set", "guestconfiguration.enabled", "off"}},
    {{"set", "extensions.enabled", "no"}},
    {{"set", "config.mode", "audit"}},
    {{"set", "guestconfiguration.agent.cpulimit", "0"}},
    {{"set", "guestconfiguration.agent.cpulimit", "101"}},
    {{"set", "extensions.agent.cpulimit", "5.5"}},
    {{"set", "extensions.agent.cpulimit", "abc"}},
    {{"set", "no.such.key", "1"}},
    {{"get", "no.such.key"}},
    {{"clear", "no.such.key"}},
    {{"info", "no.such.key"}},
    {{"set", "extensions.enabled", "false", "--add"}},
    {{"set", "proxy.url", "http://p:1", "--remove"}},
    {{"set", "extensions.allowlist", "A/B", "--add", "--remove"}},
    {{"set", "extensions.allowlist"}},
    {{"set", "extensions.blocklist", "Allow/None", "--add"}},
};

TEST_F(ConfigCommandTest, EveryInvalidFormIsRefusedWith23AndTheFileUnchanged) {
    ASSERT_EQ(run({"config", "set", "extensions.blocklist", "Pub/Blocked"}).code, 0);
    const auto before = fileText();
    for (const auto& c : kInvalid) {
        std::vector<std::string> args = {"config"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        SCOPED_TRACE(testing::PrintToString(args));
        auto result = run(args);
        EXPECT_EQ(result.code, 23) << result.out << result.err;
        EXPECT_EQ(result.out.rfind("AZCM0023: ", 0), 0u) << result.out;
        EXPECT_EQ(fileText(), before);
    }
}

TEST_F(ConfigCommandTest, AllowNoneStandsAlone) {
    ASSERT_EQ(run({"config", "set", "extensions.allowlist", "Pub/Type"}).code, 0);
    const auto before = fileText();
    EXPECT_EQ(run({"config", "set", "extensions.allowlist", "Allow/None", "--add"}).code, 23);
    EXPECT_EQ(fileText(), before);
    ASSERT_EQ(run({"config", "set", "extensions.allowlist", "Allow/None"}).code, 0);
    EXPECT_EQ(run({"config", "set", "extensions.allowlist", "Pub/Type", "--add"}).code, 23);
    EXPECT_EQ(get("extensions.allowlist"), "[Allow/None]");
}

TEST_F(ConfigCommandTest, ClearRestoresEveryDefault) {
    for (const auto& c : kValid) {
        if (c.key == "config.mode") {
            continue; // its own round trip below
        }
        SCOPED_TRACE(c.key);
        ASSERT_EQ(run({"config", "set", c.key, c.value}).code, 0);
        auto cleared = run({"config", "clear", c.key});
        ASSERT_EQ(cleared.code, 0) << cleared.out;
        EXPECT_EQ(get(c.key), config::defaultText(*config::findConfigKey(c.key)));
    }
    // After clearing everything the values equal a fresh install's.
    FakeEnvironment fresh;
    auto fresh_list = runCli({"config", "list"}, fresh.env());
    EXPECT_EQ(fresh_list, 0);
    EXPECT_EQ(run({"config", "list"}).out, fresh.out());
}

TEST_F(ConfigCommandTest, ListLayoutFollowsTheSpec) {
    auto list = run({"config", "list"});
    ASSERT_EQ(list.code, 0);
    EXPECT_EQ(list.out, "Local Configuration Settings\n"
                        "  incomingconnections.enabled            : true\n"
                        "  incomingconnections.ports              : []\n"
                        "  connection.type                        : direct\n"
                        "  proxy.url                              : \n"
                        "  proxy.bypass                           : []\n"
                        "  extensions.allowlist                   : []\n"
                        "  extensions.blocklist                   : []\n"
                        "  guestconfiguration.enabled             : true\n"
                        "  extensions.enabled                     : true\n"
                        "  config.mode                            : full\n"
                        "  guestconfiguration.agent.cpulimit      : 5\n"
                        "  extensions.agent.cpulimit              : 5\n"
                        "  agentupgrade.automatic.enabled         : true\n"
                        "  agentupgrade.automatic.maxdelayminutes : 120\n");
    auto as_json = json::parse(run({"config", "list", "--json"}).out);
    EXPECT_EQ(as_json.size(), 14u);
    EXPECT_EQ(as_json["extensions.agent.cpulimit"], 5);
    EXPECT_EQ(as_json["incomingconnections.enabled"], true);
}

TEST_F(ConfigCommandTest, AddAndRemoveEditLists) {
    ASSERT_EQ(run({"config", "set", "extensions.allowlist", "Pub.A/T1"}).code, 0);
    ASSERT_EQ(run({"config", "set", "extensions.allowlist", "Pub.B/T2,pub.a/t1", "--add"}).code, 0);
    EXPECT_EQ(get("extensions.allowlist"), "[Pub.A/T1, Pub.B/T2]");
    ASSERT_EQ(run({"config", "set", "extensions.allowlist", "PUB.A/T1", "-r"}).code, 0);
    EXPECT_EQ(get("extensions.allowlist"), "[Pub.B/T2]");
    ASSERT_EQ(run({"config", "set", "extensions.allowlist", "Pub.C/T3", "--remove"}).code, 0);
    EXPECT_EQ(get("extensions.allowlist"), "[Pub.B/T2]");
    ASSERT_EQ(run({"config", "set", "incomingconnections.ports", "22"}).code, 0);
    ASSERT_EQ(run({"config", "set", "incomingconnections.ports", "6516", "-a"}).code, 0);
    EXPECT_EQ(get("incomingconnections.ports"), "[22, 6516]");
    ASSERT_EQ(run({"config", "set", "proxy.bypass", "arm", "--add"}).code, 0);
    ASSERT_EQ(run({"config", "set", "proxy.bypass", "AAD", "--add"}).code, 0);
    EXPECT_EQ(get("proxy.bypass"), "[ARM, AAD]");
    // Without a flag the list is replaced.
    ASSERT_EQ(run({"config", "set", "proxy.bypass", "Arc"}).code, 0);
    EXPECT_EQ(get("proxy.bypass"), "[Arc]");
}

TEST_F(ConfigCommandTest, MonitorModeRoundTripRestoresTheUsersSettings) {
    ASSERT_EQ(run({"config", "set", "extensions.allowlist", "Pub.A/T1,Pub.B/T2"}).code, 0);
    ASSERT_EQ(run({"config", "set", "extensions.blocklist", "Pub.C/T3"}).code, 0);
    ASSERT_EQ(run({"config", "set", "guestconfiguration.enabled", "true"}).code, 0);
    ASSERT_EQ(run({"config", "set", "incomingconnections.enabled", "true"}).code, 0);
    ASSERT_EQ(run({"config", "set", "config.mode", "monitor"}).code, 0);

    EXPECT_EQ(get("config.mode"), "monitor");
    EXPECT_EQ(json::parse(run({"config", "get", "extensions.allowlist", "-j"}).out),
              json(config::monitorModeAllowlist()));
    EXPECT_EQ(get("extensions.blocklist"), "[]");
    EXPECT_EQ(get("incomingconnections.enabled"), "false");
    EXPECT_EQ(get("guestconfiguration.enabled"), "false");
    EXPECT_TRUE(fileJson().contains(config::kFullModeStashKey));

    // Switching to monitor again keeps the stash of the user's settings.
    ASSERT_EQ(run({"config", "set", "config.mode", "monitor"}).code, 0);
    // Other keys stay changeable.
    ASSERT_EQ(run({"config", "set", "extensions.agent.cpulimit", "20"}).code, 0);

    ASSERT_EQ(run({"config", "set", "config.mode", "full"}).code, 0);
    EXPECT_EQ(get("extensions.allowlist"), "[Pub.A/T1, Pub.B/T2]");
    EXPECT_EQ(get("extensions.blocklist"), "[Pub.C/T3]");
    EXPECT_EQ(get("incomingconnections.enabled"), "true");
    EXPECT_EQ(get("guestconfiguration.enabled"), "true");
    EXPECT_EQ(get("extensions.agent.cpulimit"), "20");
    EXPECT_FALSE(fileJson().contains(config::kFullModeStashKey));
}

TEST_F(ConfigCommandTest, ClearConfigModeIsFullWithRestore) {
    ASSERT_EQ(run({"config", "set", "guestconfiguration.enabled", "false"}).code, 0);
    ASSERT_EQ(run({"config", "set", "extensions.blocklist", "Pub.C/T3"}).code, 0);
    ASSERT_EQ(run({"config", "set", "config.mode", "monitor"}).code, 0);
    ASSERT_EQ(run({"config", "clear", "config.mode"}).code, 0);
    EXPECT_EQ(get("config.mode"), "full");
    EXPECT_EQ(get("extensions.allowlist"), "[]");
    EXPECT_EQ(get("extensions.blocklist"), "[Pub.C/T3]");
    EXPECT_EQ(get("guestconfiguration.enabled"), "false");
    EXPECT_EQ(get("incomingconnections.enabled"), "true");
}

TEST_F(ConfigCommandTest, LockedKeysAreRefusedInMonitorMode) {
    ASSERT_EQ(run({"config", "set", "config.mode", "monitor"}).code, 0);
    const auto before = fileText();
    const std::vector<std::vector<std::string>> refused = {
        {"config", "set", "extensions.allowlist", "Pub/Type"},
        {"config", "set", "extensions.allowlist", "Pub/Type", "--add"},
        {"config", "set", "extensions.allowlist", "Microsoft.CPlat.Core/LinuxPatchExtension", "-r"},
        {"config", "clear", "extensions.allowlist"},
        {"config", "set", "extensions.blocklist", "Pub/Type"},
        {"config", "clear", "extensions.blocklist"},
        {"config", "set", "incomingconnections.enabled", "true"},
        {"config", "clear", "incomingconnections.enabled"},
        {"config", "set", "guestconfiguration.enabled", "true"},
        {"config", "clear", "guestconfiguration.enabled"},
    };
    for (const auto& args : refused) {
        SCOPED_TRACE(testing::PrintToString(args));
        auto result = run(args);
        EXPECT_EQ(result.code, 23);
        EXPECT_NE(result.out.find("config.mode is monitor"), std::string::npos) << result.out;
        EXPECT_EQ(fileText(), before);
    }
}

TEST_F(ConfigCommandTest, ChangesNeedRootReadsDoNot) {
    fake_.elevated = false;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"config", "set", "extensions.enabled", "false"},
             {"config", "clear", "proxy.url"},
             {"config", "set", "extensions.allowlist", "A/B", "--add"}}) {
        auto result = run(args);
        EXPECT_EQ(result.code, 18) << result.out;
        EXPECT_EQ(result.out.rfind("AZCM0018: ", 0), 0u) << result.out;
    }
    EXPECT_FALSE(std::filesystem::exists(file()));
    EXPECT_EQ(run({"config", "list"}).code, 0);
    EXPECT_EQ(get("extensions.enabled"), "true");
    EXPECT_EQ(run({"config", "info"}).code, 0);
    EXPECT_EQ(run({"config", "info", "proxy.url", "-j"}).code, 0);
}

TEST_F(ConfigCommandTest, WritesKeepABackupAndUnknownKeys) {
    ASSERT_TRUE(fs::ensureDirectory(file().parent_path()));
    ASSERT_TRUE(fs::writeFileAtomic(
        file(), R"({"future.key": 7, "connection.type": "default", "extensions.enabled": true})",
        {0644, {}}));
    EXPECT_EQ(get("connection.type"), "direct"); // an older agent's "default"
    ASSERT_EQ(run({"config", "set", "extensions.enabled", "false"}).code, 0);
    EXPECT_EQ(fileJson()["future.key"], 7);
    EXPECT_EQ(fileJson()["connection.type"], "direct");
    auto backup = fs::readFile(file().string() + ".bak");
    ASSERT_TRUE(backup);
    EXPECT_EQ(json::parse(backup.value())["extensions.enabled"], true);
    EXPECT_TRUE(std::filesystem::exists(file().string() + ".lock"));
}

TEST_F(ConfigCommandTest, AnUnreadableFileIsReportedNotOverwritten) {
    ASSERT_TRUE(fs::ensureDirectory(file().parent_path()));
    ASSERT_TRUE(fs::writeFileAtomic(file(), "{not json", {0644, {}}));
    EXPECT_EQ(run({"config", "list"}).code, 70);
    EXPECT_EQ(run({"config", "set", "extensions.enabled", "false"}).code, 70);
    EXPECT_EQ(fileText(), "{not json");
    // A value no agent writes is refused as well, not taken for a default.
    ASSERT_TRUE(fs::writeFileAtomic(file(), R"({"connection.type": "bogus"})", {0644, {}}));
    EXPECT_EQ(run({"config", "get", "connection.type"}).code, 70);
}

TEST_F(ConfigCommandTest, ReloadReportNamesUpdatedAndStoppedServices) {
    std::vector<std::string> reloads;
    fake_.env().himds = [&](http::Verb, const std::string& target, const std::string&,
                            std::chrono::milliseconds) -> Result<http::Response> {
        reloads.push_back(target);
        return answer(200, R"({"reloaded":true})");
    };
    auto result = run({"config", "set", "extensions.allowlist", "A/B"});
    ASSERT_EQ(result.code, 0) << result.out;
    EXPECT_EQ(reloads, std::vector<std::string>{"/reload"});
    EXPECT_NE(result.out.find("INFO Updated service configuration: Agent Service (himds)"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("Extension Service (extservice) is not running; it will apply the "
                              "change when it starts"),
              std::string::npos)
        << result.out;
    EXPECT_EQ(result.out.find("GC Service"), std::string::npos) << result.out;

    auto as_json = run({"config", "set", "proxy.url", "http://proxy:3128", "-j"});
    ASSERT_EQ(as_json.code, 0);
    auto document = json::parse(as_json.out);
    EXPECT_EQ(document["property"], "proxy.url");
    EXPECT_EQ(document["value"], "http://proxy:3128");
    ASSERT_EQ(document["services"].size(), 4u);
    EXPECT_EQ(document["services"][0]["name"], "himds");
    EXPECT_EQ(document["services"][0]["status"], "updated");
    for (std::size_t i = 1; i < 4; ++i) {
        EXPECT_EQ(document["services"][i]["status"], "notRunning");
    }
}

// A daemon's error text is another process's text: the CLI (root) logs and prints it cut and
// escaped, so a compromised daemon can neither fill root's log (forcing its rotation) nor forge
// lines in it.
TEST_F(ConfigCommandTest, DaemonErrorTextIsCutAndEscapedBeforeItIsLogged) {
    const std::string flood = "FORGED\n2026-01-01 info [azcmagent] CLI_EXIT code=0 \xe2\x80\xae" +
                              std::string(4 * 1024 * 1024, 'x');
    fake_.env().himds = [&](http::Verb, const std::string&, const std::string&,
                            std::chrono::milliseconds) -> Result<http::Response> {
        return answer(500, json{{"error", {{"code", "Bad"}, {"message", flood}}}}.dump());
    };
    auto result = run({"config", "set", "extensions.enabled", "false"});
    EXPECT_EQ(result.code, 0);
    spdlog::default_logger()->flush();
    const auto log = fs::readFile(fake_.env().paths.logFile("azcmagent")).value();
    EXPECT_LT(log.size(), 16U * 1024) << "the daemon's text reached the log uncut";
    EXPECT_EQ(log.find("\n2026-01-01"), std::string::npos);
    EXPECT_EQ(log.find("\xe2\x80\xae"), std::string::npos);
    EXPECT_NE(log.find("CFG_RELOAD_REQUESTED daemon=himds status=failed HTTP 500 FORGED"),
              std::string::npos)
        << log.substr(0, 2000);
    EXPECT_LT(result.out.size() + result.err.size(), 16U * 1024);
}

TEST_F(ConfigCommandTest, AnErrorBodyOfTheWrongShapeIsStillAWarning) {
    fake_.env().himds = [](http::Verb, const std::string&, const std::string&,
                           std::chrono::milliseconds) -> Result<http::Response> {
        return answer(500, R"({"error":{"code":5,"message":6}})");
    };
    auto result = run({"config", "set", "extensions.enabled", "false", "--log-stderr"});
    EXPECT_EQ(result.code, 0) << result.out << result.err;
    EXPECT_NE(result.err.find("WARNING Agent Service (himds) did not reload (HTTP 500"),
              std::string::npos)
        << result.err;
    EXPECT_EQ(get("extensions.enabled"), "false");
}

TEST_F(ConfigCommandTest, ADaemonErrorIsAWarningAndTheChangeStays) {
    fake_.env().himds = [](http::Verb, const std::string&, const std::string&,
                           std::chrono::milliseconds) -> Result<http::Response> {
        return answer(500, R"({"error":{"code":"ReloadFailed","message":"bad file"}})");
    };
    auto result = run({"config", "set", "extensions.enabled", "false", "--log-stderr"});
    EXPECT_EQ(result.code, 0);
    EXPECT_NE(result.err.find("WARNING Agent Service (himds) did not reload (HTTP 500 bad file)"),
              std::string::npos)
        << result.err;
    EXPECT_EQ(get("extensions.enabled"), "false");

    fake_.env().himds = [](http::Verb, const std::string&, const std::string&,
                           std::chrono::milliseconds) -> Result<http::Response> {
        return makeError(exitcode::kHimdsUnreachable, "connect: no such file");
    };
    auto stopped = run({"config", "clear", "extensions.enabled"});
    EXPECT_EQ(stopped.code, 0);
    EXPECT_NE(stopped.out.find("Agent Service (himds) is not running"), std::string::npos)
        << stopped.out;
}

TEST_F(ConfigCommandTest, InfoDescribesEveryKey) {
    auto text = run({"config", "info"});
    ASSERT_EQ(text.code, 0);
    for (const auto& key : config::configKeys()) {
        EXPECT_NE(text.out.find(key.name + "\n"), std::string::npos) << key.name;
    }
    auto all = json::parse(run({"config", "info", "-j"}).out);
    ASSERT_EQ(all.size(), 14u);
    auto one = json::parse(run({"config", "info", "extensions.agent.cpulimit", "--json"}).out);
    EXPECT_EQ(one["default"], "5");
    EXPECT_EQ(one["type"], "integer");
    EXPECT_EQ(one["services"], json({"himds", "extservice"}));
}

} // namespace
} // namespace azcm::azcmagent
