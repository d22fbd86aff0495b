// The process side of the handler protocol: command line, working directory, the start
// handshake that lets the daemon put the child into its cgroup before it runs, and the timeout.
#include "common/fs/atomic_file.hpp"
#include "common/platform/process_group.hpp"
#include "extservice/handler/command_runner.hpp"
#include "hostile_environment.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace azcm::extservice {
namespace {

namespace stdfs = std::filesystem;
using namespace std::chrono_literals;

TEST(CommandLineTest, RelativeToBaseLeadingSlashStrippedDotDotRefused) {
    using Argv = std::vector<std::string>;
    // The extension handler protocol runs a manifest's command through the shell.
    EXPECT_EQ(resolveCommand("/b", "run.sh -enable").value(),
              (Argv{"/bin/sh", "-c", "/b/run.sh -enable"}));
    EXPECT_EQ(resolveCommand("/b", "/bin/run.sh").value(),
              (Argv{"/bin/sh", "-c", "/b/bin/run.sh"}));
    EXPECT_FALSE(resolveCommand("/b", "../../bin/sh -c id"));
    EXPECT_FALSE(resolveCommand("/b", "bin/../../x"));
    EXPECT_FALSE(resolveCommand("/b", "bin\\..\\..\\x"));
    EXPECT_FALSE(resolveCommand("/b", ""));
    // Arguments are the handler's business; only the program path must stay inside base.
    EXPECT_TRUE(resolveCommand("/b", "run.sh ../relative-arg"));
}

class RunnerTest : public ::testing::Test {
protected:
    CommandSpec spec(const std::string& body) {
        const auto script = dir.path() / "cmd.sh";
        EXPECT_TRUE(fs::writeFileAtomic(script, "#!/bin/sh\n" + body + "\n", {0700, {}}));
        CommandSpec s;
        s.label = "enable";
        s.base = dir.path();
        s.command = "cmd.sh";
        s.timeout = 5s;
        s.output_dir = dir.path() / "out";
        return s;
    }
    azcm::test::TempDir dir;
};

TEST_F(RunnerTest, ChildWaitsForTheHandshakeBeforeRunning) {
    const auto marker = dir.path() / "ran";
    auto s = spec("touch '" + marker.string() + "'");
    bool checked = false;
    s.on_started = [&](platform::ProcessId pgid) {
        EXPECT_GT(pgid, 1);
        // The child exists but must not run until this callback returns (cgroup attach and
        // journal happen here).
        std::this_thread::sleep_for(200ms);
        EXPECT_FALSE(stdfs::exists(marker));
        checked = true;
    };
    auto r = runCommand(s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(checked);
    EXPECT_EQ(r.value().exit_code, 0);
    EXPECT_TRUE(stdfs::exists(marker));
}

TEST_F(RunnerTest, RunsInBaseInItsOwnSessionWithTheProtocolsVariablesWinning) {
    ::setenv("IMDS_ENDPOINT", "inherited", 1);
    auto s = spec("echo \"cwd=$(pwd) var=$MY_VAR collide=$IMDS_ENDPOINT\"; "
                  "echo sid=$(cut -d' ' -f6 /proc/$$/stat)");
    s.env = {{"MY_VAR", "protocol"}, {"IMDS_ENDPOINT", "protocol"}};
    platform::ProcessId group = 0;
    s.on_started = [&](platform::ProcessId pgid) { group = pgid; };
    auto r = runCommand(s);
    ::unsetenv("IMDS_ENDPOINT");
    ASSERT_TRUE(r);
    const std::string& out = r.value().output_tail;
    EXPECT_NE(out.find("cwd=" + dir.path().string() + " var=protocol collide=protocol"),
              std::string::npos)
        << out;
    // A new session whose id is the process group the daemon recorded (and kills at timeout).
    EXPECT_NE(out.find("sid=" + std::to_string(group)), std::string::npos) << out;
    ASSERT_FALSE(r.value().output_file.empty());
    const auto perms = stdfs::status(r.value().output_file).permissions();
    EXPECT_EQ(perms, stdfs::perms(0600));
}

// The daemon started with a hostile PATH (an empty entry and a directory holding planted "env"
// and "id"), LD_PRELOAD, LD_LIBRARY_PATH and a private variable: the handler's shell finds the
// system's tools, and sees the protocol's variables, the allow-listed ones and the safe PATH only.
TEST_F(RunnerTest, AHandlerSeesNothingOfAHostileDaemonEnvironment) {
    azcm::test::HostileEnvironment hostile;
    auto s = spec("id -u >/dev/null; env");
    s.env = {{"AZURE_GUEST_AGENT_EXTENSION_VERSION", "1.2.3"}, {"ConfigSequenceNumber", "4"}};
    auto r = runCommand(s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().exit_code, 0) << r.value().output_tail;
    const std::string& out = r.value().output_tail;
    EXPECT_EQ(hostile.leaksIn(out), "");
    for (const char* expected : {"AZURE_GUEST_AGENT_EXTENSION_VERSION=1.2.3",
                                 "ConfigSequenceNumber=4", "IDENTITY_ENDPOINT=", "LC_ALL=C"}) {
        EXPECT_NE(out.find(expected), std::string::npos) << expected << " missing in\n" << out;
    }
}

TEST_F(RunnerTest, NoInheritedDescriptorReachesTheCommand) {
    // A descriptor without O_CLOEXEC, as a careless thread of the daemon might hold.
    const int leaked = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(leaked, 3);
    // Redirected to a file, not piped: a pipeline would add the shell's own pipe descriptors.
    const auto listing = dir.path() / "fds.txt";
    auto s = spec("ls /proc/$$/fd > '" + listing.string() + "'");
    auto r = runCommand(s);
    ::close(leaked);
    ASSERT_TRUE(r);
    std::vector<std::string> fds;
    std::istringstream in(fs::readFile(listing).value());
    for (std::string fd; std::getline(in, fd);) {
        fds.push_back(fd);
    }
    EXPECT_EQ(std::count(fds.begin(), fds.end(), std::to_string(leaked)), 0)
        << fs::readFile(listing).value();
    EXPECT_EQ(std::count(fds.begin(), fds.end(), "2"), 1);
}

TEST_F(RunnerTest, TimeoutKillsAndReportsIt) {
    auto s = spec("sleep 30");
    s.timeout = 300ms;
    platform::ProcessId group = 0;
    s.on_started = [&](platform::ProcessId pgid) { group = pgid; };
    const auto start = std::chrono::steady_clock::now();
    auto r = runCommand(s);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.value().timed_out);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
    EXPECT_FALSE(platform::processGroupAlive(group, 0));
}

// An enable command that starts a daemon: the command is over when its shell exits, with what it
// wrote by then, and the daemon keeps running in the group the journal recorded.
TEST_F(RunnerTest, ADaemonTheCommandStartsNeitherHoldsTheRunNorIsStopped) {
    auto s = spec("sleep 30 & echo enabled");
    platform::ProcessId group = 0;
    s.on_started = [&](platform::ProcessId pgid) { group = pgid; };
    const auto start = std::chrono::steady_clock::now();
    auto r = runCommand(s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
    EXPECT_FALSE(r.value().timed_out);
    EXPECT_EQ(r.value().exit_code, 0);
    EXPECT_EQ(r.value().output_tail, "enabled\n");
    EXPECT_TRUE(platform::processGroupAlive(group, 0));
    platform::killProcessGroup(group);
    EXPECT_FALSE(platform::processGroupAlive(group, 0));
}

TEST_F(RunnerTest, ABaseThatCannotBeEnteredIsALaunchError) {
    auto s = spec("true");
    s.base = dir.path() / "missing";
    auto r = runCommand(s);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("missing"), std::string::npos) << r.error().message;
}

} // namespace
} // namespace azcm::extservice
