// extservice (the real daemon, in a sandbox with a real arc-emulator and himds) killed with
// SIGKILL at random moments while it installs, upgrades and downgrades a handler: after every kill
// the agent's files of the extension side parse and an installed handler is never lost; after
// the next start, once the goal state is reached, no temporary file or extraction directory is
// left. On a full disk an upgrade fails and the installed version, its files and state survive.
#include "common/paths/paths.hpp"
#include "crash_support.hpp"
#include "extension_test_fixture.hpp"
#include "process.hpp"

#include <csignal>
#include <cstring>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

namespace azcm::test {
namespace {

using nlohmann::json;
namespace fsys = std::filesystem;
using namespace std::chrono_literals;

// This scenario's share of the harness's 1000 kills: each takes seconds (an upgrade from a cold
// start).
constexpr int kExtensionKills = 40;

std::vector<std::string> joined(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

class ExtensionCrashHarness : public ExtensionTest {
protected:
    Paths paths() const { return Paths(sandbox.root()); }

    // The files extservice writes (the handler's own status, logs and package files are the
    // handler's business).
    std::vector<std::string> badAgentFiles() const {
        FileCheck check;
        check.skip = [](const fsys::path& path) {
            const auto name = path.filename().string();
            return name == "status" || path.extension() == ".log" || path.extension() == ".sh" ||
                   path.extension() == ".conf";
        };
        check.check = agentFileProblem;
        return joined(badFilesUnder(paths().extensionsDir(), check),
                      badFilesUnder(paths().extensionStateDir(), check));
    }

    std::vector<std::string> litter() const {
        return joined(
            joined(litterUnder(paths().extensionsDir()), litterUnder(paths().extensionStateDir())),
            litterUnder(paths().downloadsDir()));
    }

    // Some version of the handler is on disk, whole: its manifest is there and parses.
    bool handlerInstalled() const {
        for (const auto& version : {"1.0.0", "2.0.0"}) {
            const auto manifest = handlerDir(version) / "HandlerManifest.json";
            if (fsys::exists(manifest) &&
                agentFileProblem(manifest, readWholeFile(manifest)).empty()) {
                return true;
            }
        }
        return false;
    }

    // The last operation on the extension is over (ARM takes a new one).
    bool settled() {
        auto reply = sandbox.arm("GET", extensionPath("trace"));
        const auto state = reply.body["properties"].value("provisioningState", std::string());
        return reply.status == 200 && (state == "Succeeded" || state == "Failed");
    }

    void spawnExtservice(DaemonProcess& process) {
        SpawnOptions options;
        options.env = extserviceEnv();
        options.env["AZCM_ROOT"] = sandbox.root().string();
        options.stdout_file = (sandbox.root() / "extservice-killed.out").string();
        process.start({binDir() + "/extservice"}, options);
    }

    // Starts extservice normally and waits until the extension reached `version`.
    void converge(const std::string& version, const std::string& context) {
        startExtservice();
        auto done = waitSettled("trace", 60s);
        ASSERT_EQ(done["properties"].value("provisioningState", ""), "Succeeded")
            << context << ": " << done.dump() << extserviceLog();
        ASSERT_EQ(done["properties"]["instanceView"].value("typeHandlerVersion", ""), version)
            << context << ": " << done.dump();
        ASSERT_EQ(handlerDirs(), std::vector<std::string>{std::string(kHandler) + "-" + version})
            << context;
        sandbox.stopDaemon("extservice");
    }
};

TEST_F(ExtensionCrashHarness, InstallsKilledAtRandomMomentsLoseNothingAndLeaveNoLitter) {
    publish("1.0.0");
    publish("2.0.0");
    putExtension("trace", "1.0.0", json{{"greeting", "first"}});
    converge("1.0.0", "first install");

    // Kill moments spread over one whole upgrade from a cold start, timed here.
    putExtension("trace", "2.0.0", json{{"greeting", "timed"}});
    const auto started = std::chrono::steady_clock::now();
    {
        DaemonProcess timed;
        spawnExtservice(timed);
        auto done = waitSettled("trace", 60s);
        ASSERT_EQ(done["properties"].value("provisioningState", ""), "Succeeded") << done.dump();
        timed.stop();
    }
    const auto upgrade = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    KillClock clock(upgrade);

    const int kills = killCount(kExtensionKills);
    int killed_running = 0;
    int operations = 0;
    std::string version = "2.0.0";
    for (int round = 0; round < kills; ++round) {
        // ARM takes a new version only once the last operation is over: until then the same
        // operation is killed again, each restart resuming it from its journal.
        if (settled()) {
            version = version == "2.0.0" ? "1.0.0" : "2.0.0";
            putExtension("trace", version, json{{"greeting", "round " + std::to_string(round)}});
            ++operations;
        }
        DaemonProcess extservice;
        spawnExtservice(extservice);
        std::this_thread::sleep_for(clock.next());
        if (extservice.running()) {
            ::kill(extservice.pid(), SIGKILL);
            ++killed_running;
        }
        extservice.stop();

        const auto context =
            "round " + std::to_string(round) + " (seed " + std::to_string(clock.seed()) + ")";
        const auto bad = badAgentFiles();
        ASSERT_TRUE(bad.empty()) << context << ": " << ::testing::PrintToString(bad);
        ASSERT_TRUE(handlerInstalled()) << context << ": no whole handler version on disk, "
                                        << ::testing::PrintToString(handlerDirs());
        if (round % 10 == 9 || round == kills - 1) {
            converge(version, context);
            const auto left = litter();
            ASSERT_TRUE(left.empty())
                << context
                << ": left behind after the next start: " << ::testing::PrintToString(left);
        }
    }
    std::cout << "extension install: " << kills << " kill rounds over " << operations
              << " upgrades and downgrades, " << killed_running << " killed while running (upgrade "
              << upgrade.count() / 1000 << " ms, seed " << clock.seed() << ")\n";
    EXPECT_GT(killed_running, kills / 2);
}

TEST_F(ExtensionCrashHarness, UpgradeOnAFullDiskKeepsTheInstalledVersion) {
    ASSERT_EQ(::geteuid(), 0U) << "mounting a tmpfs needs root (CI runs as root)";
    TmpfsMount disk(paths().extensionsDir(), "1m");
    ASSERT_TRUE(disk.mounted()) << std::strerror(errno);
    publish("1.0.0");
    publish("2.0.0");
    putExtension("trace", "1.0.0", json{{"greeting", "before"}});
    converge("1.0.0", "install");
    const auto settings_dir = handlerDir("1.0.0") / "config";
    std::map<fsys::path, std::string> before;
    for (const auto& entry : fsys::recursive_directory_iterator(handlerDir("1.0.0"))) {
        if (entry.is_regular_file() && entry.path().parent_path() == settings_dir) {
            before[entry.path()] = readWholeFile(entry.path());
        }
    }
    disk.fill();

    putExtension("trace", "2.0.0", json{{"greeting", "after"}});
    startExtservice();
    auto done = waitSettled("trace", 60s);
    EXPECT_EQ(done["properties"].value("provisioningState", ""), "Failed") << done.dump();
    EXPECT_TRUE(sandbox.daemonRunning("extservice")) << extserviceLog();
    sandbox.stopDaemon("extservice");

    // The installed version is whole, its settings and state files as they were.
    EXPECT_EQ(handlerDirs(), std::vector<std::string>{std::string(kHandler) + "-1.0.0"});
    EXPECT_TRUE(handlerInstalled());
    for (const auto& [path, content] : before) {
        EXPECT_EQ(readWholeFile(path), content) << path;
    }
    EXPECT_EQ(badAgentFiles(), std::vector<std::string>{});
    EXPECT_EQ(litter(), std::vector<std::string>{});
}

} // namespace
} // namespace azcm::test
