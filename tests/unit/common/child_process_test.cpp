// platform::runChildProcess, the one launcher of child processes: argv without a shell, the
// given environment only, its own process group killed at the deadline, bounded capture.
#include "common/platform/child_process.hpp"
#include "common/platform/file_lock.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::platform {
namespace {

using namespace std::chrono_literals;

ChildProcessSpec shell(const std::string& script) {
    ChildProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.environment = childEnvironment({});
    spec.timeout = 10s;
    return spec;
}

ChildProcessResult run(const ChildProcessSpec& spec) {
    auto result = runChildProcess(spec);
    EXPECT_TRUE(result) << result.error().message;
    return result ? std::move(result).value() : ChildProcessResult{};
}

TEST(ChildProcessTest, ArgumentsReachTheProgramUnsplitAndUnexpanded) {
    ChildProcessSpec spec;
    spec.argv = {"echo", "a  b", "$HOME", "*"};
    spec.environment = childEnvironment({});
    auto result = run(spec);
    EXPECT_EQ(result.output, "a  b $HOME *\n");
    EXPECT_EQ(result.exit_code, 0);
}

TEST(ChildProcessTest, ExitCodeAndTerminatingSignalAreReported) {
    EXPECT_EQ(run(shell("exit 3")).exit_code, 3);
    auto killed = run(shell("kill -TERM $$"));
    EXPECT_EQ(killed.exit_code, -1);
    EXPECT_EQ(killed.term_signal, SIGTERM);
    EXPECT_FALSE(killed.timed_out);
}

TEST(ChildProcessTest, TimeoutKillsTheWholeProcessGroup) {
    test::TempDir dir;
    const auto pid_file = dir.path() / "grandchild.pid";
    // The grandchild closes its output, so only the group kill can end it.
    auto spec = shell("sleep 30 >/dev/null 2>&1 & echo $! > '" + pid_file.string() + "'; wait");
    spec.timeout = 300ms;
    const auto started = std::chrono::steady_clock::now();
    auto result = run(spec);
    EXPECT_TRUE(result.timed_out);
    EXPECT_EQ(result.exit_code, -1);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    std::ifstream in(pid_file);
    pid_t grandchild = 0;
    ASSERT_TRUE(in >> grandchild);
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
        gone = ::kill(grandchild, 0) != 0;
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(gone) << "grandchild " << grandchild << " survived the timeout";
}

TEST(ChildProcessTest, OnlyTheGivenEnvironmentReachesTheChild) {
    ChildProcessSpec spec;
    spec.argv = {"env"};
    spec.environment = childEnvironment({{"LD_PRELOAD", "/tmp/evil.so"},
                                         {"HTTPS_PROXY", "http://proxy:3128"},
                                         {"SECRET", "s"},
                                         {"PATH", "/tmp:."}},
                                        {{"MINE", "1"}});
    auto result = run(spec);
    EXPECT_NE(result.output.find("MINE=1\n"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("HTTPS_PROXY=http://proxy:3128\n"), std::string::npos);
    EXPECT_NE(result.output.find("PATH=" + std::string(kSafePath) + "\n"), std::string::npos);
    EXPECT_EQ(result.output.find("SECRET"), std::string::npos);
    EXPECT_EQ(result.output.find("LD_PRELOAD"), std::string::npos);
}

TEST(ChildProcessTest, OutputKeepsTheLastOrFirstBytesOfEachStream) {
    auto spec = shell("printf 0123456789; printf abcdefghij >&2");
    spec.output_limit = 4;
    auto last = run(spec);
    EXPECT_EQ(last.output, "6789");
    EXPECT_EQ(last.error_output, "ghij");
    EXPECT_TRUE(last.output_truncated);
    EXPECT_EQ(last.output_bytes, 10U); // what the stream carried, not what was kept
    EXPECT_EQ(last.error_output_bytes, 10U);

    spec.kept = KeptOutput::kFirst;
    auto first = run(spec);
    EXPECT_EQ(first.output, "0123");
    EXPECT_EQ(first.error_output, "abcd");
    EXPECT_TRUE(first.output_truncated);

    spec.output_limit = 100;
    spec.merge_stderr = true;
    auto merged = run(spec);
    EXPECT_EQ(merged.output, "0123456789abcdefghij");
    EXPECT_EQ(merged.error_output, "");
    EXPECT_FALSE(merged.output_truncated);
}

// A handler's enable command may start a daemon that keeps the output open: the run ends with the
// program, keeps what was written by then, and leaves the daemon alone.
TEST(ChildProcessTest, ARunThatEndsWithItsProgramDoesNotWaitForWhatItLeftRunning) {
    test::TempDir dir;
    const auto pid_file = dir.path() / "daemon.pid";
    auto spec = shell("sleep 30 & echo $! > '" + pid_file.string() + "'; echo started; exit 4");
    spec.ends = RunEnds::kWhenProgramExits;
    const auto started = std::chrono::steady_clock::now();
    auto result = run(spec);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 4);
    EXPECT_EQ(result.output, "started\n");
    EXPECT_LT(took, 5s);
    std::ifstream in(pid_file);
    pid_t daemon = 0;
    ASSERT_TRUE(in >> daemon);
    EXPECT_EQ(::kill(daemon, 0), 0) << "the daemon the program started was stopped";
    ::kill(daemon, SIGKILL);

    // The same program under the default ending: the run waits for the daemon's end of the
    // output, so the deadline ends it.
    spec.ends = RunEnds::kWhenOutputCloses;
    spec.timeout = 500ms;
    EXPECT_TRUE(run(spec).timed_out);
}

TEST(ChildProcessTest, ANewSessionIsLedByTheChildAndNamesItsGroup) {
    // The shell's pid, then fields 5 and 6 of its /proc stat: process group and session.
    auto spec = shell("echo $$ $(cut -d' ' -f5,6 /proc/$$/stat)");
    spec.new_session = true;
    ProcessId reported = 0;
    spec.before_exec = [&reported](ProcessId pid) -> Result<void> {
        reported = pid;
        return ok();
    };
    std::istringstream led(run(spec).output);
    long pid = 0;
    long group = 0;
    long session = 0;
    ASSERT_TRUE(led >> pid >> group >> session);
    EXPECT_EQ(pid, reported);
    EXPECT_EQ(group, pid);
    EXPECT_EQ(session, pid);

    // Without it: a group of its own inside this process's session.
    spec.new_session = false;
    std::istringstream grouped(run(spec).output);
    ASSERT_TRUE(grouped >> pid >> group >> session);
    EXPECT_EQ(group, pid);
    EXPECT_EQ(session, ::getsid(0));
}

TEST(ChildProcessTest, RunsInTheGivenWorkingDirectory) {
    test::TempDir dir;
    ChildProcessSpec spec;
    spec.argv = {"pwd", "-P"};
    spec.environment = childEnvironment({});
    spec.working_directory = dir.path();
    EXPECT_EQ(run(spec).output, std::filesystem::canonical(dir.path()).string() + "\n");

    spec.working_directory = dir.path() / "missing";
    auto missing = runChildProcess(spec);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("cannot enter " + spec.working_directory.string()),
              std::string::npos)
        << missing.error().message;
}

TEST(ChildProcessTest, AProgramThatCannotRunIsAnError) {
    ChildProcessSpec spec;
    spec.environment = childEnvironment({});
    spec.argv = {"/nonexistent/program"};
    auto absolute = runChildProcess(spec);
    ASSERT_FALSE(absolute);
    EXPECT_NE(absolute.error().message.find("/nonexistent/program"), std::string::npos);

    spec.argv = {"azcm-no-such-program"};
    auto bare = runChildProcess(spec);
    ASSERT_FALSE(bare);
    EXPECT_NE(bare.error().message.find("azcm-no-such-program"), std::string::npos);

    test::TempDir dir;
    const auto not_executable = dir.path() / "data.txt";
    std::ofstream(not_executable) << "#!/bin/sh\n";
    spec.argv = {not_executable.string()};
    auto refused = runChildProcess(spec);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("cannot run " + not_executable.string()),
              std::string::npos)
        << refused.error().message;
}

TEST(ChildProcessTest, BeforeExecRunsFirstAndItsFailureStopsTheLaunch) {
    test::TempDir dir;
    const auto marker = dir.path() / "ran";
    auto spec = shell("echo ran > '" + marker.string() + "'; cat /proc/$$/stat");
    int seen_pid = 0;
    spec.before_exec = [&](int pid) -> Result<void> {
        seen_pid = pid;
        EXPECT_FALSE(std::filesystem::exists(marker)); // not started yet
        EXPECT_EQ(::getpgid(pid), pid);                // already in its own group
        return ok();
    };
    auto result = run(spec);
    EXPECT_GT(seen_pid, 0);
    EXPECT_EQ(result.output.rfind(std::to_string(seen_pid) + " ", 0), 0U) << result.output;

    std::filesystem::remove(marker);
    spec.before_exec = [](int) -> Result<void> { return makeError(exitcode::kGeneric, "no"); };
    auto refused = runChildProcess(spec);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "no");
    EXPECT_FALSE(std::filesystem::exists(marker));
}

// A daemon killed after fork but before it lets the child start (between the two, it places the
// child in a cgroup): the child must give up, not wait forever holding a copy of every descriptor
// the daemon had, its single-instance lock among them.
TEST(ChildProcessTest, AChildWhoseParentDiesBeforeItStartsGivesUpAndReleasesTheParentsLock) {
    test::TempDir dir;
    const auto lock_path = dir.path() / "daemon.lock";
    const auto pid_file = dir.path() / "child.pid";
    const pid_t daemon = ::fork();
    ASSERT_GE(daemon, 0);
    if (daemon == 0) {
        auto lock = FileLock::acquire(lock_path);
        if (!lock) {
            ::_exit(2);
        }
        auto spec = shell("exit 0");
        spec.before_exec = [&pid_file](ProcessId pid) -> Result<void> {
            std::ofstream(pid_file) << pid << "\n";
            ::kill(::getpid(), SIGKILL);
            return ok();
        };
        (void)runChildProcess(spec);
        ::_exit(3);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(daemon, &status, 0), daemon);
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
    bool released = false;
    for (int i = 0; i < 500 && !released; ++i) {
        auto attempt = FileLock::tryAcquire(lock_path);
        released = attempt && attempt.value().has_value();
        if (!released) {
            std::this_thread::sleep_for(10ms);
        }
    }
    pid_t orphan = 0;
    std::ifstream(pid_file) >> orphan;
    EXPECT_GT(orphan, 0);
    EXPECT_TRUE(released) << "the orphaned child " << orphan << " still holds the daemon's lock";
    if (!released && orphan > 0) {
        ::kill(orphan, SIGKILL);
    }
}

TEST(ChildProcessTest, DescriptorsAndTheSignalMaskAreNotInherited) {
    const int inherited = ::dup2(STDOUT_FILENO, 57); // without O_CLOEXEC
    ASSERT_EQ(inherited, 57);
    sigset_t blocked;
    sigset_t previous;
    ::sigemptyset(&blocked);
    ::sigaddset(&blocked, SIGUSR1);
    ::sigprocmask(SIG_BLOCK, &blocked, &previous);
    // Builtins only: the shell blocks every signal for a moment whenever it starts a command, so
    // a grep it started could read that mask instead of the one it was given.
    auto result = run(shell("test -e /proc/$$/fd/57 && echo open || echo closed; "
                            "while read -r key value; do [ \"$key\" = SigBlk: ] && "
                            "printf 'SigBlk:\\t%s\\n' \"$value\"; done < /proc/$$/status"));
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    ::close(inherited);
    EXPECT_NE(result.output.find("closed\n"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("SigBlk:\t0000000000000000"), std::string::npos) << result.output;
}

} // namespace
} // namespace azcm::platform
