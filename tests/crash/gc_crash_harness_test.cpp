// gcservice (the real daemon, in a sandbox with a real arc-emulator and himds) killed with SIGKILL
// at random moments while it takes goal states, evaluates two assignments of the built-in
// baseline and reports them, each step saved in gc_state/state.json: after every kill the state
// parses and still holds both assignments, every extracted package is whole, and after the next
// start no temporary file or half-extracted package is left. On a full disk the last state
// survives while the daemon keeps running.
#include "common/paths/paths.hpp"
#include "crash_support.hpp"
#include "gcservice/gc_state.hpp"
#include "process.hpp"
#include "sandbox.hpp"

#include <csignal>
#include <cstring>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace azcm::test {
namespace {

using nlohmann::json;
namespace fsys = std::filesystem;
using namespace std::chrono_literals;

// This scenario's share of the harness's 1000 kills.
constexpr int kGcKills = 110;
constexpr const char* kMachine = "gccrash01";
const std::vector<std::string> kAssignments = {"baseline-a", "baseline-b"};

// Every assignment due at each start, so every run writes its state several times.
const std::map<std::string, std::string> kFastEnv = {{"AZCM_GC_POLL_SECONDS", "1"},
                                                     {"AZCM_GC_EVALUATION_SECONDS", "1"},
                                                     {"AZCM_GC_RETRY_SECONDS", "1"}};

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class GcCrashHarness : public ::testing::Test {
protected:
    void SetUp() override {
        sandbox_.startEmulator();
        sandbox_.startHimds();
        auto sp =
            sandbox_.createServicePrincipal("onboarder", "Azure Connected Machine Onboarding");
        auto connected = sandbox_.azcmagent(sandbox_.connectArgs(sp, kMachine));
        ASSERT_EQ(connected.exit_code, 0) << connected.out << connected.err;
        // No CPU cap: parallel tests would share the daemon group's 5%.
        sandbox_.writeLocalConfig(json{{"guestconfiguration.agent.cpulimit", 100}});
    }

    void TearDown() override {
        if (sandbox_.daemonRunning("gcservice")) {
            sandbox_.stopDaemon("gcservice");
        }
    }

    void assign(const std::string& name) {
        const auto path = "/subscriptions/" + sandbox_.subscription() +
                          "/resourceGroups/arc-rg/providers/Microsoft.HybridCompute/machines/" +
                          kMachine +
                          "/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/" +
                          name + "?api-version=2022-01-25";
        const json body{{"properties",
                         {{"guestConfiguration",
                           {{"name", "AzureArcSecurityBaseline"},
                            {"version", "1.0.0"},
                            {"assignmentType", "Audit"}}}}}};
        auto reply = sandbox_.arm("PUT", path, body);
        ASSERT_TRUE(reply.status == 200 || reply.status == 201) << reply.body.dump();
    }

    fsys::path stateDir() const { return Paths(sandbox_.root()).guestConfigStateDir(); }
    fsys::path stateFile() const { return stateDir() / "state.json"; }

    // The state as gcservice reads it at start; an error message when it does not parse.
    Result<gcservice::GcState> state() const { return gcservice::loadGcState(stateFile()); }

    // Every named assignment evaluated at or after `since` and its report accepted.
    bool settledSince(std::int64_t since) const {
        auto loaded = state();
        if (!loaded || loaded.value().assignments.size() != kAssignments.size()) {
            return false;
        }
        for (const auto& assignment : loaded.value().assignments) {
            if (!assignment.last_evaluated_at || *assignment.last_evaluated_at < since ||
                assignment.report_pending) {
                return false;
            }
        }
        return true;
    }

    // What the harness requires of the state directory after a kill: state.json parses and
    // holds every assignment, and every extracted package parses.
    std::vector<std::string> problems() const {
        std::vector<std::string> found;
        auto loaded = state();
        if (!loaded) {
            found.push_back(stateFile().string() + ": " + loaded.error().message);
        } else {
            std::vector<std::string> names;
            for (const auto& assignment : loaded.value().assignments) {
                names.push_back(assignment.name);
            }
            std::sort(names.begin(), names.end());
            if (names != kAssignments) {
                found.push_back("state.json lost assignments: " + ::testing::PrintToString(names));
            }
        }
        FileCheck check;
        check.check = agentFileProblem;
        auto bad = badFilesUnder(stateDir(), check);
        found.insert(found.end(), bad.begin(), bad.end());
        return found;
    }

    void spawnGcservice(DaemonProcess& process) {
        SpawnOptions options;
        options.env = kFastEnv;
        options.env["AZCM_ROOT"] = sandbox_.root().string();
        options.stdout_file = (sandbox_.root() / "gcservice-killed.out").string();
        process.start({binDir() + "/gcservice"}, options);
    }

    // Starts gcservice normally and waits until both assignments were evaluated and reported.
    void converge(const std::string& context) {
        const auto since = unixNow();
        sandbox_.startDaemon("gcservice", kFastEnv);
        ASSERT_TRUE(waitUntil([&] { return settledSince(since); }, 60s))
            << context << ": never settled; gcservice said:\n"
            << sandbox_.readLog("gcservice.out");
        sandbox_.stopDaemon("gcservice");
    }

    Sandbox sandbox_;
};

TEST_F(GcCrashHarness, StateWritesKilledAtRandomMomentsLoseNothingAndLeaveNoLitter) {
    for (const auto& name : kAssignments) {
        assign(name);
    }
    converge("first run");

    // Kill moments spread over one whole run from a cold start, timed here.
    const auto since = unixNow() + 1;
    std::this_thread::sleep_until(std::chrono::system_clock::from_time_t(since));
    const auto started = std::chrono::steady_clock::now();
    {
        DaemonProcess timed;
        spawnGcservice(timed);
        ASSERT_TRUE(waitUntil([&] { return settledSince(since); }, 60s));
        timed.stop();
    }
    const auto run = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    KillClock clock(run);

    const int kills = killCount(kGcKills);
    int killed_running = 0;
    for (int round = 0; round < kills; ++round) {
        DaemonProcess gcservice;
        spawnGcservice(gcservice);
        std::this_thread::sleep_for(clock.next());
        if (gcservice.running()) {
            ::kill(gcservice.pid(), SIGKILL);
            ++killed_running;
        }
        gcservice.stop();

        const auto context =
            "round " + std::to_string(round) + " (seed " + std::to_string(clock.seed()) + ")";
        const auto found = problems();
        ASSERT_TRUE(found.empty()) << context << ": " << ::testing::PrintToString(found);
        if (round % 20 == 19 || round == kills - 1) {
            converge(context);
            const auto left = litterUnder(stateDir());
            ASSERT_TRUE(left.empty())
                << context
                << ": left behind after the next start: " << ::testing::PrintToString(left);
        }
    }
    std::cout << "gcservice state: " << kills << " kill rounds, " << killed_running
              << " killed while running (run " << run.count() / 1000 << " ms, seed " << clock.seed()
              << ")\n";
    EXPECT_GT(killed_running, kills / 2);
}

TEST_F(GcCrashHarness, StateOnAFullDiskSurvivesAndTheDaemonKeepsRunning) {
    ASSERT_EQ(::geteuid(), 0U) << "mounting a tmpfs needs root (CI runs as root)";
    TmpfsMount disk(stateDir(), "1m");
    ASSERT_TRUE(disk.mounted()) << std::strerror(errno);
    for (const auto& name : kAssignments) {
        assign(name);
    }
    converge("before the disk is full");
    const auto before = readWholeFile(stateFile());
    disk.fill();

    // A new assignment, evaluations and reports: every state write meets a full disk.
    assign("baseline-c");
    sandbox_.startDaemon("gcservice", kFastEnv);
    // The daemon says each save it could not make; several, so evaluations ran on a full disk.
    const auto save_failures = [&] {
        const auto log = sandbox_.readLog("gcservice.out");
        std::size_t count = 0;
        for (auto at = log.find("GC_STATE_SAVE_FAILED"); at != std::string::npos;
             at = log.find("GC_STATE_SAVE_FAILED", at + 1)) {
            ++count;
        }
        return count;
    };
    ASSERT_TRUE(waitUntil([&] { return save_failures() >= 3; }, 30s))
        << sandbox_.readLog("gcservice.out");
    EXPECT_TRUE(sandbox_.daemonRunning("gcservice")) << sandbox_.readLog("gcservice.out");
    // The disk is still full: a save the daemon makes while it stops fails and says so.
    sandbox_.stopDaemonExpecting("gcservice", "GC_STATE_SAVE_FAILED");

    const auto after = readWholeFile(stateFile());
    EXPECT_EQ(after, before);
    auto loaded = state();
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded.value().assignments.size(), kAssignments.size());
    EXPECT_EQ(litterUnder(stateDir()), std::vector<std::string>{});
}

} // namespace
} // namespace azcm::test
