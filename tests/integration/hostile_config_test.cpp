// A hostile or broken localconfig.json against the real binaries: a document nested 100,000 deep
// (200 KB) or holding a number that does not fit. Every daemon refuses to start with exit 70 and a
// message naming the file, the CLI does not crash, and a running himds that is asked to reload
// such a file keeps the settings it had.
#include "common/fs/atomic_file.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/paths/paths.hpp"
#include "sandbox.hpp"

#include <csignal>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Under a key this version does not know: the file is read (and kept) as a whole.
std::string deepLocalConfig(std::size_t depth) {
    return "{\"config.mode\": \"full\", \"deep\": " + std::string(depth, '[') +
           std::string(depth, ']') + "}";
}

void writeRaw(const std::filesystem::path& path, const std::string& text) {
    ASSERT_TRUE(fs::ensureDirectory(path.parent_path(), {0755, {}}));
    ASSERT_TRUE(fs::writeFileAtomic(path, text, {0644, {}}));
}

// Runs a daemon binary in the sandbox until it exits by itself (or is killed after 60 s).
CommandResult runDaemon(const Sandbox& sandbox, const std::string& name) {
    SpawnOptions options;
    options.env = {
        {"AZCM_ROOT", sandbox.root().string()}, {"AZCM_IMDS_PORT", "0"}, {"AZCM_PROXY_PORT", "0"}};
    return runCommand({binDir() + "/" + name}, options, 60s);
}

TEST(HostileLocalConfigTest, EveryDaemonRefusesADeepFileWithExit70) {
    Sandbox sandbox;
    const auto path = Paths(sandbox.root()).localConfig();
    const auto text = deepLocalConfig(100'000);
    ASSERT_LT(text.size(), 210'000U);
    writeRaw(path, text);
    for (const std::string daemon : {"himds", "arcproxy", "extservice", "gcservice"}) {
        const auto run = runDaemon(sandbox, daemon);
        const auto output = run.out + run.err;
        EXPECT_EQ(run.exit_code, 70) << daemon << ": " << output;
        EXPECT_NE(output.find("AZCM0070"), std::string::npos) << daemon << ": " << output;
        EXPECT_NE(output.find(path.string() + " nests deeper than 64 levels"), std::string::npos)
            << daemon << ": " << output;
    }
    // The file is the administrator's: refused, not replaced.
    EXPECT_EQ(fs::readFile(path).value(), text);
}

TEST(HostileLocalConfigTest, EveryDaemonRefusesAnOutOfRangeCpuLimit) {
    Sandbox sandbox;
    const auto path = Paths(sandbox.root()).localConfig();
    // 2^32 + 1: read as an int it used to become 1.
    writeRaw(path, R"({"guestconfiguration.agent.cpulimit": 4294967297})");
    for (const std::string daemon : {"himds", "gcservice"}) {
        const auto run = runDaemon(sandbox, daemon);
        const auto output = run.out + run.err;
        EXPECT_EQ(run.exit_code, 70) << daemon << ": " << output;
        EXPECT_NE(output.find("guestconfiguration.agent.cpulimit in localconfig.json"),
                  std::string::npos)
            << daemon << ": " << output;
        EXPECT_NE(output.find("4294967297"), std::string::npos) << daemon << ": " << output;
    }
}

TEST(HostileLocalConfigTest, TheCliReportsTheFileInsteadOfCrashing) {
    Sandbox sandbox;
    const auto path = Paths(sandbox.root()).localConfig();
    // 500,000 levels crashed the CLI; still under its 1 MiB read limit.
    writeRaw(path, deepLocalConfig(500'000));
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"config", "list"}, {"config", "get", "config.mode"}, {"show"}}) {
        const auto run = sandbox.azcmagent(args);
        const auto output = run.out + run.err;
        if (args[0] == "show") {
            // show reports what it can; it must not crash.
            EXPECT_LT(run.exit_code, 128) << output;
            continue;
        }
        EXPECT_EQ(run.exit_code, 70) << output;
        EXPECT_NE(output.find(path.string() + " nests deeper than 64 levels"), std::string::npos)
            << output;
    }

    writeRaw(path, R"({"extensions.agent.cpulimit": 4294967297})");
    const auto list = sandbox.azcmagent({"config", "list"});
    EXPECT_EQ(list.exit_code, 70) << list.out << list.err;
    EXPECT_NE((list.out + list.err).find("extensions.agent.cpulimit in localconfig.json"),
              std::string::npos)
        << list.out << list.err;
}

TEST(HostileLocalConfigTest, ARunningHimdsKeepsItsSettingsWhenTheFileGoesBad) {
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.startHimds(1);
    auto sp = sandbox.createServicePrincipal("onboarder", "Azure Connected Machine Onboarding");
    auto connect = sandbox.azcmagent(sandbox.connectArgs(sp, "bad01"));
    ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;
    auto set = sandbox.azcmagent({"config", "set", "extensions.allowlist", "Pub.A/T1"});
    ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
    const json expected = json::array({{{"publisher", "Pub.A"}, {"type", "T1"}}});
    const auto reported = [&] {
        auto machine = sandbox.getMachine("arc-rg", "bad01");
        return machine ? machine->at("properties")
                             .value("agentConfiguration", json::object())
                             .value("extensionsAllowList", json::array())
                       : json();
    };
    ASSERT_TRUE(waitUntil([&] { return reported() == expected; }, 30s)) << reported().dump();

    const auto path = Paths(sandbox.root()).localConfig();
    writeRaw(path, deepLocalConfig(100'000));
    auto reload =
        ipc::call(Paths(sandbox.root()).socketFor("himds"), http::Verb::post, "/reload", "{}", 10s);
    ASSERT_TRUE(reload) << reload.error().message;
    EXPECT_EQ(reload.value().result_int(), 500);
    EXPECT_NE(reload.value().body().find(path.string() + " nests deeper than 64 levels"),
              std::string::npos)
        << reload.value().body();
    ::kill(sandbox.himdsPid(), SIGHUP); // the other reload path
    ASSERT_TRUE(sandbox.himdsRunning()) << sandbox.readLog("himds.out");

    // Two more heartbeats: at least one started after the failed reloads, and it still reports
    // the allowlist of the last good file.
    const auto heartbeat = [&] { return sandbox.himdsStatus().value("lastHeartbeat", ""); };
    for (int i = 0; i < 2; ++i) {
        const auto before = heartbeat();
        ASSERT_TRUE(waitUntil([&] { return heartbeat() != before; }, 30s));
    }
    EXPECT_TRUE(sandbox.himdsRunning());
    EXPECT_EQ(reported(), expected);
    EXPECT_NE(sandbox.readLog("himds.out").find("CFG_RELOAD_FAILED"), std::string::npos);
}

} // namespace
} // namespace azcm::test
