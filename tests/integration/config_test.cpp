// `azcmagent config` with the real binary: privileges, concurrent writers, a writer killed at
// random moments, a full file system, and a running himds that reloads and reports the change to
// ARM without a restart.
#include "common/config/local_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/paths/paths.hpp"
#include "forward_proxy.hpp"
#include "sandbox.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include <grp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr uid_t kNobody = 65534;

std::filesystem::path localConfigOf(const Sandbox& sandbox) {
    return Paths(sandbox.root()).localConfig();
}

std::string readText(const std::filesystem::path& path) {
    auto text = fs::readFile(path);
    return text ? text.value() : std::string();
}

TEST(ConfigTest, NonRootMayReadButNotChange) {
    Sandbox sandbox;
    auto set = sandbox.azcmagent({"config", "set", "extensions.allowlist", "Pub.A/T1"});
    ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
    const auto before = readText(localConfigOf(sandbox));

    for (const auto& args : std::vector<std::vector<std::string>>{
             {"config", "set", "extensions.enabled", "false"},
             {"config", "clear", "extensions.allowlist"},
             {"config", "set", "extensions.allowlist", "Pub.B/T2", "--add"}}) {
        auto refused = sandbox.azcmagent(args, kNobody);
        EXPECT_EQ(refused.exit_code, 18) << refused.out << refused.err;
        EXPECT_NE(refused.out.find("AZCM0018"), std::string::npos) << refused.out;
    }
    EXPECT_EQ(readText(localConfigOf(sandbox)), before);

    auto get = sandbox.azcmagent({"config", "get", "extensions.allowlist"}, kNobody);
    EXPECT_EQ(get.exit_code, 0) << get.out << get.err;
    EXPECT_EQ(get.out, "[Pub.A/T1]\n");
    auto list = sandbox.azcmagent({"config", "list", "--json"}, kNobody);
    ASSERT_EQ(list.exit_code, 0) << list.out << list.err;
    EXPECT_EQ(json::parse(list.out)["extensions.allowlist"], json({"Pub.A/T1"}));
    auto info = sandbox.azcmagent({"config", "info"}, kNobody);
    EXPECT_EQ(info.exit_code, 0) << info.out << info.err;
    EXPECT_NE(info.out.find("proxy.bypass"), std::string::npos);
}

TEST(ConfigTest, ConcurrentSetsOnDifferentKeysBothSurvive) {
    Sandbox sandbox;
    for (int round = 1; round <= 20; ++round) {
        const auto gc = std::to_string(round);
        const auto ext = std::to_string(100 - round);
        CommandResult first;
        CommandResult second;
        std::thread a([&] {
            first = sandbox.azcmagent({"config", "set", "guestconfiguration.agent.cpulimit", gc});
        });
        std::thread b([&] {
            second = sandbox.azcmagent({"config", "set", "extensions.agent.cpulimit", ext});
        });
        a.join();
        b.join();
        ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
        ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
        auto document = json::parse(readText(localConfigOf(sandbox)));
        ASSERT_EQ(document["guestconfiguration.agent.cpulimit"], round) << "round " << round;
        ASSERT_EQ(document["extensions.agent.cpulimit"], 100 - round) << "round " << round;
    }
}

TEST(ConfigTest, AWriterKilledAtAnyMomentLeavesTheOldOrTheNewFile) {
    Sandbox sandbox;
    const std::string small = "Pub.A/T1";
    std::string large;
    for (int i = 0; i < 200; ++i) {
        large += (i == 0 ? "" : ",") + std::string("Publisher.Number") + std::to_string(i) +
                 "/Type" + std::to_string(i);
    }
    // Kill moments spread over a whole run of the command, timed here on this machine.
    const auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(sandbox.azcmagent({"config", "set", "extensions.allowlist", small}).exit_code, 0);
    const auto run_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    std::mt19937 random(20261128);
    std::uniform_int_distribution<long> delay_us(0, run_us);
    int killed_before_exit = 0;
    for (int round = 0; round < 40; ++round) {
        const auto& value = round % 2 == 0 ? large : small;
        SpawnOptions options;
        options.env = {{"AZCM_ROOT", sandbox.root().string()}};
        DaemonProcess writer;
        writer.start({binDir() + "/azcmagent", "config", "set", "extensions.allowlist", value},
                     options);
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
        if (writer.running()) {
            ::kill(writer.pid(), SIGKILL);
            ++killed_before_exit;
        }
        writer.stop();
        const auto text = readText(localConfigOf(sandbox));
        auto document = json::parse(text, nullptr, false);
        ASSERT_TRUE(document.is_object()) << "round " << round << ": " << text;
        auto parsed = config::parseLocalConfig(document);
        ASSERT_TRUE(parsed) << text;
        const auto& list = parsed.value().extensions_allowlist;
        EXPECT_TRUE(list.size() == 1 || list.size() == 200) << list.size();
    }
    // The lock died with its holder: the next writer is not blocked.
    auto after = sandbox.azcmagent({"config", "set", "extensions.allowlist", small});
    EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
    EXPECT_GT(killed_before_exit, 10);
}

// Unmounts on every exit path, so a failing test never leaves a mount behind.
class TmpfsMount {
public:
    explicit TmpfsMount(std::filesystem::path where) : where_(std::move(where)) {
        std::filesystem::create_directories(where_);
        mounted_ = ::mount("tmpfs", where_.c_str(), "tmpfs", 0, "size=64k,mode=0755") == 0;
    }
    ~TmpfsMount() {
        if (mounted_) {
            ::umount2(where_.c_str(), MNT_DETACH);
        }
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
    TmpfsMount(TmpfsMount&&) = delete;
    TmpfsMount& operator=(TmpfsMount&&) = delete;
    bool mounted() const { return mounted_; }

private:
    std::filesystem::path where_;
    bool mounted_ = false;
};

TEST(ConfigTest, AFullFileSystemKeepsTheOldFileAndSaysWhy) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
    }
    Sandbox sandbox;
    const auto config_path = localConfigOf(sandbox);
    TmpfsMount mount(config_path.parent_path());
    ASSERT_TRUE(mount.mounted()) << std::strerror(errno);

    auto set = sandbox.azcmagent({"config", "set", "extensions.allowlist", "Pub.A/T1"});
    ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
    const auto before = readText(config_path);
    {
        std::ofstream filler(config_path.parent_path() / "filler", std::ios::binary);
        const std::string block(4096, 'x');
        while (filler.write(block.data(), static_cast<std::streamsize>(block.size())) &&
               filler.flush()) {
        }
    }
    std::string value;
    for (int i = 0; i < 100; ++i) {
        value += (i == 0 ? "" : ",") + std::string("Publisher.Number") + std::to_string(i) +
                 "/Type" + std::to_string(i);
    }
    auto full = sandbox.azcmagent({"config", "set", "extensions.allowlist", value});
    EXPECT_EQ(full.exit_code, 69) << full.out << full.err;
    EXPECT_NE(full.out.find("AZCM0069"), std::string::npos) << full.out;
    EXPECT_NE(full.out.find("No space left on device"), std::string::npos) << full.out;
    EXPECT_NE(full.out.find("the previous settings are kept"), std::string::npos) << full.out;
    EXPECT_EQ(readText(config_path), before);
    auto get = sandbox.azcmagent({"config", "get", "extensions.allowlist"});
    EXPECT_EQ(get.out, "[Pub.A/T1]\n") << get.err;
}

TEST(ConfigTest, RunningHimdsReportsTheNewAllowlistWithoutRestart) {
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.startHimds(1);
    auto sp = sandbox.createServicePrincipal("onboarder", "Azure Connected Machine Onboarding");
    auto connect = sandbox.azcmagent(sandbox.connectArgs(sp, "cfg01"));
    ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;
    ASSERT_TRUE(waitUntil(
        [&] {
            auto machine = sandbox.getMachine("arc-rg", "cfg01");
            return machine && machine->at("properties").value("status", "") == "Connected";
        },
        30s));

    auto set = sandbox.azcmagent(
        {"config", "set", "extensions.allowlist",
         "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent,Microsoft.Azure.Security/X"});
    ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
    EXPECT_NE(set.out.find("INFO Updated service configuration: Agent Service (himds)"),
              std::string::npos)
        << set.out;
    EXPECT_NE(set.out.find("Extension Service (extservice) is not running"), std::string::npos)
        << set.out;

    const json expected =
        json::array({{{"publisher", "Microsoft.Azure.Monitor"}, {"type", "AzureMonitorLinuxAgent"}},
                     {{"publisher", "Microsoft.Azure.Security"}, {"type", "X"}}});
    std::optional<json> machine;
    EXPECT_TRUE(waitUntil(
        [&] {
            machine = sandbox.getMachine("arc-rg", "cfg01");
            return machine && machine->at("properties")
                                      .value("agentConfiguration", json::object())
                                      .value("extensionsAllowList", json::array()) == expected;
        },
        30s)) // a heartbeat or two (1 s apart), with room for a loaded CI machine
        << (machine ? machine->dump(2) : "no machine");
    // The same himds process applied it: still running, and it logged the reload.
    EXPECT_TRUE(sandbox.himdsRunning());
    EXPECT_NE((sandbox.readLog("himds.out") + sandbox.readLog("var/opt/azcmagent/log/himds.log"))
                  .find("CFG_RELOADED"),
              std::string::npos);

    auto json_set = sandbox.azcmagent({"config", "clear", "extensions.allowlist", "--json"});
    ASSERT_EQ(json_set.exit_code, 0) << json_set.out << json_set.err;
    EXPECT_EQ(json::parse(json_set.out)["services"][0]["status"], "updated");
}

// The user and password the proxy insists on: base64("agent:hunter2").
constexpr const char* kProxyAuthorization = "Basic YWdlbnQ6aHVudGVyMg==";

std::string proxyUrlWithCredentials(const ForwardProxy& proxy) {
    return "http://agent:hunter2@127.0.0.1:" + std::to_string(proxy.port());
}

// Whether every request head the proxy saw carried the right credentials (it refuses the others).
bool everyRequestAuthenticated(const ForwardProxy& proxy) {
    const auto heads = proxy.heads();
    const std::string credentials = std::string("Proxy-Authorization: ") + kProxyAuthorization;
    return !heads.empty() && std::all_of(heads.begin(), heads.end(), [&](const std::string& head) {
        return head.find(credentials) != std::string::npos;
    });
}

// Onboards the sandbox's machine `name` and waits until ARM shows it connected.
void connectAndWait(Sandbox& sandbox, const std::string& name) {
    auto sp = sandbox.createServicePrincipal("onboarder", "Azure Connected Machine Onboarding");
    auto connect = sandbox.azcmagent(sandbox.connectArgs(sp, name));
    ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;
    ASSERT_TRUE(waitUntil(
        [&] {
            auto machine = sandbox.getMachine("arc-rg", name);
            return machine && machine->at("properties").value("status", "") == "Connected";
        },
        30s));
}

// Who may read the secret file: root, and group azcmproxy when the host has it; nobody else.
void expectOnlyRootMayRead(const std::filesystem::path& secret) {
    struct stat info {};
    ASSERT_EQ(::lstat(secret.c_str(), &info), 0) << secret;
    EXPECT_TRUE(S_ISREG(info.st_mode));
    EXPECT_EQ(info.st_uid, 0U);
    const auto group = config::defaultSecretFileAccess().group;
    if (group) {
        EXPECT_EQ(info.st_mode & 07777, 0640U);
        EXPECT_EQ(info.st_gid, *group);
    } else {
        EXPECT_EQ(info.st_mode & 07777, 0600U);
    }
}

TEST(ConfigTest, ProxyCredentialsStayInARootOnlyFileYetEveryCallerUsesThem) {
    ASSERT_EQ(::geteuid(), 0U) << "the other user's view needs root (CI runs as root)";
    ForwardProxy proxy(ForwardProxy::Options{0, std::string(kProxyAuthorization)});
    Sandbox sandbox;
    sandbox.startEmulator();
    // Given on standard input: neither the process list nor a warning sees it.
    auto set = sandbox.azcmagentWithInput({"config", "set", "proxy.url", "-"},
                                          proxyUrlWithCredentials(proxy));
    ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
    EXPECT_EQ(set.err.find("WARNING"), std::string::npos) << set.err;

    const Paths paths(sandbox.root());
    const auto public_text = readText(paths.localConfig());
    EXPECT_EQ(public_text.find("hunter2"), std::string::npos) << public_text;
    EXPECT_EQ(json::parse(public_text).at("proxy.url"),
              "http://***@127.0.0.1:" + std::to_string(proxy.port()));
    expectOnlyRootMayRead(paths.localConfigSecret());

    // Another user reads the settings, redacted, and not the secret.
    auto get = sandbox.azcmagent({"config", "get", "proxy.url"}, kNobody);
    EXPECT_EQ(get.exit_code, 0) << get.out << get.err;
    EXPECT_EQ(get.out, "http://***@127.0.0.1:" + std::to_string(proxy.port()) + "\n");
    SpawnOptions as_nobody;
    as_nobody.as_uid = kNobody;
    auto cat = runCommand({"/bin/cat", paths.localConfigSecret().string()}, as_nobody);
    EXPECT_NE(cat.exit_code, 0);
    EXPECT_EQ(cat.out.find("hunter2"), std::string::npos);

    // The CLI and himds both authenticate to the proxy (it answers 407 otherwise); Azure sees the
    // URL redacted.
    sandbox.startHimds(1);
    connectAndWait(sandbox, "sec01");
    const int after_connect = proxy.connects();
    EXPECT_TRUE(waitUntil([&] { return proxy.connects() >= after_connect + 2; }, 20s))
        << "himds heartbeats through the proxy";
    EXPECT_TRUE(everyRequestAuthenticated(proxy));
    const auto machine = sandbox.getMachine("arc-rg", "sec01").value();
    EXPECT_EQ(machine.at("properties").at("agentConfiguration").value("proxyUrl", ""),
              "http://***@127.0.0.1:" + std::to_string(proxy.port()));
    for (const auto& text : {machine.dump(), sandbox.readLog("var/opt/azcmagent/log/himds.log"),
                             sandbox.readLog("var/opt/azcmagent/log/azcmagent.log")}) {
        EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    }

    auto clear = sandbox.azcmagent({"config", "clear", "proxy.url"});
    ASSERT_EQ(clear.exit_code, 0) << clear.out << clear.err;
    EXPECT_FALSE(std::filesystem::exists(paths.localConfigSecret()));
}

TEST(ConfigTest, AnOlderFileWithProxyCredentialsKeepsWorkingAndIsMigratedOnTheFirstWrite) {
    ForwardProxy proxy(ForwardProxy::Options{0, std::string(kProxyAuthorization)});
    Sandbox sandbox;
    sandbox.startEmulator();
    // As an older version wrote it: credentials in the world-readable file.
    sandbox.writeLocalConfig(json{{"proxy.url", proxyUrlWithCredentials(proxy)}});
    sandbox.startHimds(1);
    connectAndWait(sandbox, "sec02");

    auto set = sandbox.azcmagent({"config", "set", "extensions.enabled", "false"});
    ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
    const Paths paths(sandbox.root());
    for (const auto& world_readable :
         {paths.localConfig(), std::filesystem::path(paths.localConfig().string() + ".bak")}) {
        const auto text = readText(world_readable);
        EXPECT_EQ(text.find("hunter2"), std::string::npos) << world_readable << ": " << text;
    }
    expectOnlyRootMayRead(paths.localConfigSecret());
    // himds reloaded the migrated pair and still authenticates to the proxy.
    EXPECT_NE(set.out.find("INFO Updated service configuration: Agent Service (himds)"),
              std::string::npos)
        << set.out;
    const int after_migration = proxy.connects();
    EXPECT_TRUE(waitUntil([&] { return proxy.connects() >= after_migration + 2; }, 20s));
    EXPECT_EQ(sandbox.himdsStatus().value("agentStatus", ""), "Connected");
    EXPECT_TRUE(everyRequestAuthenticated(proxy));
}

} // namespace
} // namespace azcm::test
