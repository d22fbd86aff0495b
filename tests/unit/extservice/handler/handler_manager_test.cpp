// The handler lifecycle with real processes (docs/extensions.md): small shell handlers that append
// every command they run, with its environment, to a trace file.
#include "common/fs/atomic_file.hpp"
#include "extservice/handler/handler_manager.hpp"
#include "temp_dir.hpp"
#include "test_packages.hpp"
#include "text_match.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::extservice {
namespace {

using azcm::test::contains;

namespace stdfs = std::filesystem;
using namespace std::chrono_literals;

const stdfs::path kFixtures = AZCM_WALA_FIXTURES;

std::vector<std::string> lines(const stdfs::path& file) {
    std::vector<std::string> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

// "1.0.0 install seq=1 ..." -> "1.0.0 install"
std::vector<std::string> commands(const stdfs::path& trace) {
    std::vector<std::string> out;
    for (const auto& line : lines(trace)) {
        std::istringstream words(line);
        std::string version;
        std::string command;
        words >> version >> command;
        out.push_back(version + " " + command);
    }
    return out;
}

// Is the process gone (or a zombie nobody reaps)?
bool processGone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) {
        return true;
    }
    const auto close = line.rfind(')');
    return close != std::string::npos && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

class HandlerManagerTest : public ::testing::Test {
protected:
    HandlerManagerOptions options() const {
        HandlerManagerOptions o;
        o.paths = Paths(dir.path());
        o.timeouts.install = o.timeouts.enable = o.timeouts.disable = o.timeouts.update =
            o.timeouts.uninstall = 10s;
        o.cpu_group = [](const HandlerId&, const HandlerManifest&) {
            return platform::CpuGroup{}; // not enforced in unit tests
        };
        return o;
    }
    HandlerId id(const std::string& version) const { return {"Test.Pub", "Shell", version}; }
    stdfs::path base(const std::string& version) const {
        return Paths(dir.path()).extensionsDir() / id(version).dirName();
    }
    stdfs::path package(const test::ShellHandler& handler) {
        const auto zip =
            dir.path() / ("pkg-" + handler.version + "-" + std::to_string(counter++) + ".zip");
        test::writeShellHandler(zip, trace(), handler);
        return zip;
    }
    stdfs::path trace() const { return dir.path() / "trace.txt"; }
    HandlerSettings settings(int seq) const {
        HandlerSettings s;
        s.sequence_number = seq;
        s.public_settings = {{"message", "seq " + std::to_string(seq)}};
        return s;
    }
    HandlerState stateOf(const std::string& version) const {
        auto text = fs::readFile(base(version) / "config" / "HandlerState");
        if (!text) {
            return HandlerState::kNotInstalled;
        }
        if (text.value() == "Enabled") {
            return HandlerState::kEnabled;
        }
        return text.value() == "Installed" ? HandlerState::kInstalled : HandlerState::kNotInstalled;
    }
    OperationResult install(HandlerManager& m, const std::string& version, int seq = 1) {
        test::ShellHandler h;
        h.version = version;
        return m.enable(id(version), package(h), settings(seq));
    }

    azcm::test::TempDir dir;
    int counter = 0;
};

TEST_F(HandlerManagerTest, FreshInstallRunsInstallThenEnableWithProtocolEnvironment) {
    HandlerManager m(options());
    test::ShellHandler h;
    h.nested_manifest = true; // found in meta/, BOM stripped, copied to base
    const auto r = m.enable(id("1.0.0"), package(h), settings(1));
    ASSERT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.code, 0);
    ASSERT_TRUE(r.status);
    EXPECT_EQ(r.status->status, "success");
    EXPECT_EQ(r.status->message, "enabled 1.0.0");
    EXPECT_EQ(commands(trace()), (std::vector<std::string>{"1.0.0 install", "1.0.0 enable"}));
    const auto t = lines(trace());
    const std::string b = base("1.0.0").string();
    for (const auto& line : t) {
        EXPECT_TRUE(contains(line, "seq=1 cwd=" + b + " path=" + b)) << line;
        EXPECT_TRUE(contains(line, "version=unset from=unset disable_exit=unset")) << line;
        EXPECT_TRUE(contains(line, "uninstall_exit=NOT_RUN")) << line;
    }
    EXPECT_EQ(stateOf("1.0.0"), HandlerState::kEnabled);
    EXPECT_EQ(stdfs::status(base("1.0.0") / "config" / "1.settings").permissions(),
              stdfs::perms(0600));
    EXPECT_TRUE(contains(fs::readFile(base("1.0.0") / "config" / "1.settings").value(), "seq 1"));
    EXPECT_TRUE(stdfs::exists(base("1.0.0") / "HandlerManifest.json"));
    const auto logs = Paths(dir.path()).extensionLogsDir() / id("1.0.0").dirName();
    EXPECT_TRUE(contains(fs::readFile(base("1.0.0") / "HandlerEnvironment.json").value(),
                         "\"logFolder\": \"" + logs.string() + "\""));
    EXPECT_FALSE(stdfs::is_empty(logs / "commands")); // captured output of both commands
    // The journal (which holds the encrypted protected settings) lives in a root-only place.
    EXPECT_EQ(stdfs::status(Paths(dir.path()).extensionStateDir()).permissions(),
              stdfs::perms(0700));

    const auto all = m.installed();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].id, id("1.0.0"));
    EXPECT_EQ(all[0].state, HandlerState::kEnabled);
    EXPECT_EQ(all[0].sequence_number, 1);
    EXPECT_EQ(all[0].health.status, "Ready");
    EXPECT_FALSE(all[0].operation_pending);
    ASSERT_TRUE(m.currentStatus("Test.Pub.Shell"));
    EXPECT_EQ(m.currentStatus("Test.Pub.Shell")->status, "success");
}

TEST_F(HandlerManagerTest, ReconfigureWritesNewSettingsAndRunsOnlyEnable) {
    HandlerManager m(options());
    ASSERT_TRUE(install(m, "1.0.0", 1).ok);
    const auto r = m.enable(id("1.0.0"), dir.path() / "no-such.zip", settings(2));
    ASSERT_TRUE(r.ok) << r.message; // the zip is not needed: nothing is extracted
    EXPECT_EQ(commands(trace()),
              (std::vector<std::string>{"1.0.0 install", "1.0.0 enable", "1.0.0 enable"}));
    EXPECT_TRUE(contains(lines(trace()).back(), "seq=2"));
    EXPECT_TRUE(stdfs::exists(base("1.0.0") / "config" / "2.settings"));
    EXPECT_EQ(m.installed().at(0).sequence_number, 2);
}

TEST_F(HandlerManagerTest, UpgradeFollowsTheUpdateSequence) {
    HandlerManager m(options());
    ASSERT_TRUE(install(m, "1.0.0").ok);
    const auto r = install(m, "2.0.0", 2);
    ASSERT_TRUE(r.ok) << r.message;
    EXPECT_EQ(
        commands(trace()),
        (std::vector<std::string>{"1.0.0 install", "1.0.0 enable", "1.0.0 disable", "2.0.0 update",
                                  "1.0.0 uninstall", "2.0.0 install", "2.0.0 enable"}));
    const auto t = lines(trace());
    EXPECT_TRUE(contains(t[3], "version=2.0.0 from=1.0.0 disable_exit=0")) << t[3];
    EXPECT_TRUE(contains(t[5], "uninstall_exit=0")) << t[5];
    EXPECT_TRUE(contains(t[6], "uninstall_exit=0")) << t[6];
    EXPECT_TRUE(contains(t[3], "cwd=" + base("2.0.0").string())) << t[3];
    EXPECT_FALSE(stdfs::exists(base("1.0.0")));
    EXPECT_EQ(stateOf("2.0.0"), HandlerState::kEnabled);
    // The old status files were carried over.
    EXPECT_TRUE(stdfs::exists(base("2.0.0") / "status" / "1.status"));
    EXPECT_EQ(m.installed().size(), 1u);
}

TEST_F(HandlerManagerTest, DowngradeRunsTheHigherVersionsUpdateCommand) {
    HandlerManager m(options());
    ASSERT_TRUE(install(m, "2.0.0").ok);
    const auto r = install(m, "1.0.0", 2);
    ASSERT_TRUE(r.ok) << r.message;
    EXPECT_EQ(
        commands(trace()),
        (std::vector<std::string>{"2.0.0 install", "2.0.0 enable", "2.0.0 disable", "2.0.0 update",
                                  "2.0.0 uninstall", "1.0.0 install", "1.0.0 enable"}));
    // As WALinuxAgent codes it: VERSION and UPDATING_FROM_VERSION are both the target.
    EXPECT_TRUE(contains(lines(trace())[3], "version=1.0.0 from=1.0.0 disable_exit=0"));
    EXPECT_FALSE(stdfs::exists(base("2.0.0")));
    EXPECT_EQ(stateOf("1.0.0"), HandlerState::kEnabled);
}

TEST_F(HandlerManagerTest, UpdateWithoutInstallSkipsInstall) {
    HandlerManager m(options());
    ASSERT_TRUE(install(m, "1.0.0").ok);
    test::ShellHandler h;
    h.version = "1.1.0";
    h.extra_manifest = ",\"updateMode\":\"UpdateWithoutInstall\"";
    ASSERT_TRUE(m.enable(id("1.1.0"), package(h), settings(2)).ok);
    EXPECT_EQ(commands(trace()),
              (std::vector<std::string>{"1.0.0 install", "1.0.0 enable", "1.0.0 disable",
                                        "1.1.0 update", "1.0.0 uninstall", "1.1.0 enable"}));
}

TEST_F(HandlerManagerTest, FailedUpdateRollsBackToTheOldVersion) {
    HandlerManager m(options());
    ASSERT_TRUE(install(m, "1.0.0").ok);
    test::ShellHandler h;
    h.version = "2.0.0";
    h.update_body = "exit 5";
    const auto r = m.enable(id("2.0.0"), package(h), settings(2));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1008);
    EXPECT_TRUE(contains(r.message, "exit code 5")) << r.message;
    EXPECT_FALSE(stdfs::exists(base("2.0.0")));
    EXPECT_TRUE(stdfs::exists(base("1.0.0")));
    EXPECT_EQ(m.installed().size(), 1u);
}

TEST_F(HandlerManagerTest, RefusedPackageLeavesTheOldVersionUntouched) {
    HandlerManager m(options());
    ASSERT_TRUE(install(m, "1.0.0").ok);
    const auto evil = dir.path() / "evil.zip";
    test::writeZip(evil, {{"HandlerManifest.json", "[]"}, {"../../x", "x"}});
    const auto r = m.enable(id("2.0.0"), evil, settings(2));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1005);
    EXPECT_FALSE(stdfs::exists(base("2.0.0")));
    EXPECT_EQ(stateOf("1.0.0"), HandlerState::kEnabled);
    EXPECT_EQ(commands(trace()), (std::vector<std::string>{"1.0.0 install", "1.0.0 enable"}));
    for (const auto& e : stdfs::directory_iterator(Paths(dir.path()).extensionsDir())) {
        EXPECT_EQ(e.path().filename(), id("1.0.0").dirName());
    }
}

TEST_F(HandlerManagerTest, DisableAndUninstall) {
    HandlerManager m(options());
    ASSERT_TRUE(install(m, "1.0.0").ok);
    const auto d = m.disable("Test.Pub.Shell");
    ASSERT_TRUE(d.ok) << d.message;
    EXPECT_EQ(stateOf("1.0.0"), HandlerState::kInstalled);
    const auto u = m.uninstall("Test.Pub.Shell");
    ASSERT_TRUE(u.ok) << u.message;
    EXPECT_EQ(commands(trace()), (std::vector<std::string>{"1.0.0 install", "1.0.0 enable",
                                                           "1.0.0 disable", "1.0.0 uninstall"}));
    EXPECT_FALSE(stdfs::exists(base("1.0.0")));
    EXPECT_TRUE(m.installed().empty());
}

TEST_F(HandlerManagerTest, UninstallDisablesFirstAndSwallowsErrors) {
    HandlerManager m(options());
    test::ShellHandler h;
    h.uninstall_body = "exit 3";
    ASSERT_TRUE(m.enable(id("1.0.0"), package(h), settings(0)).ok);
    const auto u = m.uninstall("Test.Pub.Shell");
    EXPECT_TRUE(u.ok) << u.message;
    EXPECT_TRUE(contains(u.message, "exit code 3")) << u.message;
    EXPECT_EQ(commands(trace()), (std::vector<std::string>{"1.0.0 install", "1.0.0 enable",
                                                           "1.0.0 disable", "1.0.0 uninstall"}));
    EXPECT_FALSE(stdfs::exists(base("1.0.0")));
}

TEST_F(HandlerManagerTest, FailureCodesAndNoexecHint) {
    HandlerManager m(options());
    test::ShellHandler bad_install;
    bad_install.install_body = "exit 2";
    const auto i = m.enable(id("1.0.0"), package(bad_install), settings(1));
    EXPECT_EQ(i.code, 1007);
    EXPECT_EQ(stateOf("1.0.0"), HandlerState::kNotInstalled);

    test::ShellHandler bad_enable;
    bad_enable.enable_body = "echo 'cannot enable' >&2; exit 126";
    const auto e = m.enable(id("1.0.0"), package(bad_enable), settings(1));
    EXPECT_EQ(e.code, 1009);
    EXPECT_TRUE(contains(e.message, "noexec")) << e.message;
    EXPECT_TRUE(contains(e.message, "cannot enable")) << e.message;
    EXPECT_EQ(stateOf("1.0.0"), HandlerState::kInstalled);
    EXPECT_EQ(m.installed().at(0).health.status, "NotReady");
    EXPECT_EQ(m.installed().at(0).health.code, 1009);
}

TEST_F(HandlerManagerTest, TimeoutKillsTheWholeProcessGroupWith1011) {
    auto o = options();
    o.timeouts.enable = 1500ms;
    HandlerManager m(o);
    test::ShellHandler h;
    const auto child_pid_file = dir.path() / "bg.pid";
    h.enable_body = "sleep 60 & echo $! > '" + child_pid_file.string() + "'; sleep 60";
    const auto started = std::chrono::steady_clock::now();
    const auto r = m.enable(id("1.0.0"), package(h), settings(1));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1011);
    EXPECT_TRUE(contains(r.message, "enable")) << r.message;
    EXPECT_TRUE(contains(r.message, "timed out")) << r.message;
    EXPECT_LT(took, 8s);
    const pid_t background = std::stoi(fs::readFile(child_pid_file).value());
    EXPECT_TRUE(processGone(background)) << background;
}

TEST_F(HandlerManagerTest, OutputIsBoundedAndTheLogDirStaysWithinBudget) {
    auto o = options();
    o.output_limit_bytes = 16 * 1024;
    o.command_log_budget_bytes = 64 * 1024;
    HandlerManager m(o);
    test::ShellHandler h;
    h.enable_body = "head -c 2000000 /dev/zero | tr '\\0' x; echo END-OF-OUTPUT";
    ASSERT_TRUE(m.enable(id("1.0.0"), package(h), settings(1)).ok);
    for (int seq = 2; seq < 8; ++seq) {
        ASSERT_TRUE(m.enable(id("1.0.0"), {}, settings(seq)).ok);
    }
    const auto commands_dir =
        Paths(dir.path()).extensionLogsDir() / id("1.0.0").dirName() / "commands";
    std::uintmax_t total = 0;
    std::string newest;
    for (const auto& e : stdfs::directory_iterator(commands_dir)) {
        total += e.file_size();
        EXPECT_LT(e.file_size(), 2 * 16 * 1024 + 1024u) << e.path();
        if (e.path().filename().string() > newest) {
            newest = e.path().filename().string();
        }
    }
    EXPECT_LE(total, 64 * 1024u);
    const auto last = fs::readFile(commands_dir / newest).value();
    EXPECT_TRUE(contains(last, "END-OF-OUTPUT")); // the tail is what is kept
    EXPECT_TRUE(contains(last, "tail kept"));
}

TEST_F(HandlerManagerTest, WaLinuxAgentSampleHandlerInstallsEnablesAndReportsSuccess) {
    HandlerManager m(options());
    HandlerSettings s;
    s.sequence_number = 3;
    s.public_settings = {{"message", "hello from the sample handler"}};
    const HandlerId sample{"Microsoft.Azure.Extensions.Test", "SampleExt", "1.3.0"};
    const auto r = m.enable(sample, kFixtures / "sample_ext-1.3.0.zip", s);
    ASSERT_TRUE(r.ok) << r.message;
    ASSERT_TRUE(r.status);
    EXPECT_EQ(r.status->status, "success");
    EXPECT_EQ(r.status->message, "hello from the sample handler");
    const auto u = m.uninstall(sample.name());
    EXPECT_TRUE(u.ok) << u.message;
}

TEST_F(HandlerManagerTest, LockHeldByAnotherProcessRefuses) {
    HandlerManager m(options());
    const auto state = Paths(dir.path()).extensionStateDir() / "handlers";
    stdfs::create_directories(state);
    const int fd = ::open((state / "Test.Pub.Shell.lock").c_str(), O_RDWR | O_CREAT, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    const auto r = install(m, "1.0.0");
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(contains(r.message, "another process")) << r.message;
    EXPECT_FALSE(stdfs::exists(trace()));
    ::close(fd);
}

TEST_F(HandlerManagerTest, UninstallWithoutManifestStillRemovesTheDirectory) {
    HandlerManager m(options());
    ASSERT_TRUE(install(m, "1.0.0").ok);
    stdfs::remove(base("1.0.0") / "HandlerManifest.json");
    const auto u = m.uninstall("Test.Pub.Shell");
    EXPECT_TRUE(u.ok) << u.message;
    EXPECT_TRUE(contains(u.message, "HandlerManifest.json")) << u.message;
    EXPECT_FALSE(stdfs::exists(base("1.0.0")));
}

TEST_F(HandlerManagerTest, EveryCommandAsksTheFactoryForItsHandlersCgroup) {
    auto o = options();
    std::vector<std::string> asked;
    o.cpu_group = [&](const HandlerId& handler, const HandlerManifest& manifest) {
        asked.push_back(handler.dirName() + " " + manifest.enable_command);
        return platform::CpuGroup{};
    };
    HandlerManager m(o);
    test::ShellHandler h;
    ASSERT_TRUE(m.enable(id("1.0.0"), package(h), settings(1)).ok);
    EXPECT_EQ(asked, (std::vector<std::string>{"Test.Pub.Shell-1.0.0 bin/enable.sh",
                                               "Test.Pub.Shell-1.0.0 bin/enable.sh"}));
}

TEST(CommandTimeoutsTest, DefaultsAndScaleFromTheEnvironment) {
    ::unsetenv("AZCM_EXT_TIMEOUT_SCALE");
    const auto defaults = CommandTimeouts::fromEnvironment();
    EXPECT_EQ(defaults.install, 900s);
    EXPECT_EQ(defaults.enable, 300s);
    EXPECT_EQ(defaults.disable, 900s);
    EXPECT_EQ(defaults.update, 900s);
    EXPECT_EQ(defaults.uninstall, 300s);
    ::setenv("AZCM_EXT_TIMEOUT_SCALE", "0.01", 1);
    const auto scaled = CommandTimeouts::fromEnvironment();
    ::unsetenv("AZCM_EXT_TIMEOUT_SCALE");
    EXPECT_EQ(scaled.install, 9s);
    EXPECT_EQ(scaled.enable, 3s);
}

// ---- crash safety ---------------------------------------------------------------------------

class CrashTest : public HandlerManagerTest {
protected:
    // Runs enable in a child process and kill -9s it while `marker` exists (the command that
    // creates it is then still running), leaving journal, lock and process behind.
    void crashDuring(const HandlerId& target,
                     const stdfs::path& zip,
                     int seq,
                     const stdfs::path& marker) {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            HandlerManager m(options());
            m.enable(target, zip, settings(seq));
            ::_exit(0);
        }
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!stdfs::exists(marker) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(10ms);
        }
        ASSERT_TRUE(stdfs::exists(marker));
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
    }
    // A command body that hangs on its first run only (and records the pid of the hang).
    std::string hangOnce(const std::string& tag) const {
        const auto once = dir.path() / (tag + ".once");
        const auto pid = dir.path() / (tag + ".pid");
        return "if [ ! -f '" + once.string() + "' ]; then echo $$ > '" + pid.string() +
               "'; touch '" + once.string() + "'; sleep 60; fi";
    }
};

TEST_F(CrashTest, KilledDuringInstallIsFinishedAtRecover) {
    test::ShellHandler h;
    h.install_body = hangOnce("install");
    const auto zip = package(h);
    crashDuring(id("1.0.0"), zip, 1, dir.path() / "install.once");
    const pid_t leftover = std::stoi(fs::readFile(dir.path() / "install.pid").value());
    EXPECT_FALSE(processGone(leftover)); // the orphaned command still runs

    HandlerManager m(options());
    EXPECT_TRUE(m.installed().at(0).operation_pending);
    const auto log = m.recover();
    std::string joined;
    for (const auto& line : log) {
        joined += line + "\n";
    }
    EXPECT_TRUE(contains(joined, "killing process group")) << joined;
    EXPECT_TRUE(contains(joined, "re-running install of Test.Pub.Shell-1.0.0 interrupted by a "
                                 "restart"))
        << joined;
    EXPECT_TRUE(processGone(leftover));
    EXPECT_EQ(commands(trace()),
              (std::vector<std::string>{"1.0.0 install", "1.0.0 install", "1.0.0 enable"}));
    EXPECT_EQ(stateOf("1.0.0"), HandlerState::kEnabled);
    EXPECT_FALSE(m.installed().at(0).operation_pending);
    EXPECT_TRUE(m.recover().empty()); // converged: nothing left to do
}

TEST_F(CrashTest, KilledDuringUpgradeConvergesToTheNewVersion) {
    HandlerManager first(options());
    ASSERT_TRUE(install(first, "1.0.0").ok);
    test::ShellHandler h;
    h.version = "2.0.0";
    h.update_body = hangOnce("update");
    const auto zip = package(h);
    crashDuring(id("2.0.0"), zip, 2, dir.path() / "update.once");

    HandlerManager m(options());
    const auto log = m.recover();
    ASSERT_FALSE(log.empty());
    EXPECT_EQ(commands(trace()),
              (std::vector<std::string>{"1.0.0 install", "1.0.0 enable", "1.0.0 disable",
                                        "2.0.0 update", "2.0.0 update", "1.0.0 uninstall",
                                        "2.0.0 install", "2.0.0 enable"}));
    EXPECT_FALSE(stdfs::exists(base("1.0.0")));
    EXPECT_EQ(stateOf("2.0.0"), HandlerState::kEnabled);
}

TEST_F(CrashTest, LeftoverTempDirAndHalfDoneJournalAreCleanedUp) {
    const auto lib = Paths(dir.path()).extensionsDir();
    stdfs::create_directories(lib / ".extract-Test.Pub.Shell-1.0.0-deadbeef" / "bin");
    // A journal of an install whose package vanished: nothing can be finished, nothing stays.
    const auto state = Paths(dir.path()).extensionStateDir() / "handlers";
    stdfs::create_directories(state);
    ASSERT_TRUE(fs::writeFileAtomic(
        state / "Test.Pub.Shell.journal.json",
        R"({"operation":"enable","target":{"publisher":"Test.Pub","type":"Shell","version":"1.0.0"},
            "zip":")" +
            (dir.path() / "gone.zip").string() +
            R"(","settings":{"sequenceNumber":1},"rollingBack":false,
            "steps":[{"step":"extract","state":"running","attempts":1},
                     {"step":"initialize","state":"pending","attempts":0},
                     {"step":"install","state":"pending","attempts":0}]})"));
    HandlerManager m(options());
    const auto log = m.recover();
    std::string joined;
    for (const auto& line : log) {
        joined += line + "\n";
    }
    EXPECT_TRUE(contains(joined, "removing half-extracted")) << joined;
    EXPECT_TRUE(contains(joined, "package is gone")) << joined;
    EXPECT_TRUE(stdfs::is_empty(lib));
    EXPECT_FALSE(stdfs::exists(state / "Test.Pub.Shell.journal.json"));
}

TEST_F(CrashTest, CommandInterruptedTwiceIsNotRunAgain) {
    HandlerManager first(options());
    ASSERT_TRUE(install(first, "1.0.0").ok);
    const auto state = Paths(dir.path()).extensionStateDir() / "handlers";
    ASSERT_TRUE(fs::writeFileAtomic(
        state / "Test.Pub.Shell.journal.json",
        R"({"operation":"enable","target":{"publisher":"Test.Pub","type":"Shell","version":"1.0.0"},
            "zip":"","settings":{"sequenceNumber":2},"rollingBack":false,
            "steps":[{"step":"writeSettings","state":"done","attempts":1},
                     {"step":"enable","state":"running","attempts":2}]})"));
    HandlerManager m(options());
    const auto log = m.recover();
    ASSERT_FALSE(log.empty());
    std::string joined;
    for (const auto& line : log) {
        joined += line + "\n";
    }
    EXPECT_TRUE(contains(joined, "interrupted twice")) << joined;
    EXPECT_EQ(commands(trace()), (std::vector<std::string>{"1.0.0 install", "1.0.0 enable"}));
}

} // namespace
} // namespace azcm::extservice
