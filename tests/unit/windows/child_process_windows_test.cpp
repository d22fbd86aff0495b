// runChildProcess, the command line, the environment helpers and the process groups on Windows,
// against real children: child_probe.exe, built next to this test, does what each test asks.
//
// Under wine 8 every behaviour tested here is honoured (the handle list, breakaway and its refusal,
// nested jobs, kill-on-close, TerminateJobObject), with two differences from Windows: wine adds
// WINE* variables, SystemDrive and SystemRoot to every process's environment whatever block it
// was given (withoutWineAdditions), and its IsProcessInJob wants PROCESS_QUERY_INFORMATION where
// Windows takes PROCESS_QUERY_LIMITED_INFORMATION.
#include "common/platform/child_environment.hpp"
#include "common/platform/child_process.hpp"
#include "common/platform/process_group.hpp"
#include "common/platform/windows/command_line.hpp"
#include "under_wine.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>
// clang-format off
#include <windows.h>
#include <shellapi.h> // needs windows.h first
// clang-format on

namespace azcm::platform {
namespace {

using namespace std::chrono_literals;

struct HandleCloser {
    void operator()(HANDLE handle) const { ::CloseHandle(handle); }
};
using UniqueHandle = std::unique_ptr<std::remove_pointer_t<HANDLE>, HandleCloser>;

std::wstring wide(const std::string& text) {
    if (text.empty()) {
        return {};
    }
    const int size =
        ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
    std::wstring result(static_cast<std::size_t>(size), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), result.data(),
                          size);
    return result;
}

std::string utf8(const std::wstring& text) {
    if (text.empty()) {
        return {};
    }
    const int size = ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                                           nullptr, 0, nullptr, nullptr);
    std::string result(static_cast<std::size_t>(size), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), result.data(),
                          size, nullptr, nullptr);
    return result;
}

std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (const unsigned char c : bytes) {
        text += digits[c >> 4];
        text += digits[c & 15];
    }
    return text;
}

std::string pattern(std::size_t from, std::size_t size) {
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        text[i] = static_cast<char>('a' + (from + i) % 26);
    }
    return text;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
        result.push_back(line);
    }
    return result;
}

std::wstring testDirectory() {
    wchar_t self[MAX_PATH] = {};
    const DWORD size = ::GetModuleFileNameW(nullptr, self, MAX_PATH);
    std::wstring path(self, size);
    return path.substr(0, path.find_last_of(L"\\/"));
}

std::string probePath() {
    return utf8(testDirectory() + L"\\child_probe.exe");
}

ChildProcessSpec probe(std::vector<std::string> arguments) {
    ChildProcessSpec spec;
    spec.argv = {probePath()};
    spec.argv.insert(spec.argv.end(), arguments.begin(), arguments.end());
    spec.timeout = 20s;
    return spec;
}

ChildProcessResult run(const ChildProcessSpec& spec) {
    auto result = runChildProcess(spec);
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    return result ? result.value() : ChildProcessResult{};
}

bool isRunning(DWORD pid) {
    const UniqueHandle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    DWORD exit_code = 0;
    return process && ::GetExitCodeProcess(process.get(), &exit_code) && exit_code == STILL_ACTIVE;
}

DWORD grandchildOf(const std::string& output) {
    const auto at = output.find("grandchild ");
    return at == std::string::npos ? 0
                                   : static_cast<DWORD>(std::stoul(
                                         output.substr(at + std::string("grandchild ").size())));
}

// Wine adds its own variables (WINE*, SystemDrive, SystemRoot) to every process it starts,
// whatever environment block it was given; Windows passes the block as it is.
using test::underWine;

std::vector<std::string> withoutWineAdditions(const std::vector<std::string>& environment) {
    std::vector<std::string> result;
    for (const auto& entry : environment) {
        const bool added = entry.rfind("WINE", 0) == 0 || entry.rfind("SystemDrive=", 0) == 0 ||
                           entry.rfind("SystemRoot=", 0) == 0;
        if (!underWine() || !added) {
            result.push_back(entry);
        }
    }
    return result;
}

// --- the command line -------------------------------------------------------------------------

const std::vector<std::string> kHostileArguments = {
    "",
    " ",
    "plain",
    "two words",
    "\"",
    "\\",
    "a\\",
    "a\\\\",
    "a\\\"b",
    "\\\\\"",
    "%PATH%",
    "a&b|c^d",
    "<in >out 2>&1",
    "\t",
    "tail\\ \\",
    "\"q\"",
    "x\"\"y",
    "new\nline",
    "\xc3\xbcn\xc3\xaf \xe2\x98\x83",
    "C:\\Program Files\\dir\\",
    "^&|<>()!%",
    "\\\\server\\share",
    "-flag=\"a b\"",
};

TEST(CommandLine, RoundTripsHostileArgumentsThroughCommandLineToArgvW) {
    std::vector<std::string> argv = {"C:\\Program Files\\tool.exe"};
    argv.insert(argv.end(), kHostileArguments.begin(), kHostileArguments.end());
    auto line = windows::commandLine(argv);
    ASSERT_TRUE(line);
    int count = 0;
    const std::unique_ptr<LPWSTR, decltype(&::LocalFree)> split(
        ::CommandLineToArgvW(wide(line.value()).c_str(), &count), &::LocalFree);
    ASSERT_NE(split, nullptr);
    ASSERT_EQ(static_cast<std::size_t>(count), argv.size()) << line.value();
    for (int i = 0; i < count; ++i) {
        EXPECT_EQ(utf8(split.get()[i]), argv[static_cast<std::size_t>(i)]) << "argument " << i;
    }
}

TEST(CommandLine, QuotesOnlyWhatNeedsIt) {
    EXPECT_EQ(windows::quoteArgument("plain\\path\\"), "plain\\path\\");
    EXPECT_EQ(windows::quoteArgument(""), "\"\"");
    EXPECT_EQ(windows::quoteArgument("a b\\"), "\"a b\\\\\"");
    EXPECT_EQ(windows::quoteArgument("say \"hi\""), "\"say \\\"hi\\\"\"");
    EXPECT_EQ(windows::quoteArgument("a\\\"b"), "\"a\\\\\\\"b\"");
    EXPECT_EQ(windows::quoteArgument("%PATH%&|^"), "%PATH%&|^"); // no shell reads it
}

TEST(CommandLine, QuotesTheProgramWithoutEscapes) {
    auto line = windows::commandLine({"C:\\Program Files\\dir\\", "x"});
    ASSERT_TRUE(line);
    EXPECT_EQ(line.value(), "\"C:\\Program Files\\dir\\\" x");
    EXPECT_EQ(windows::commandLine({"tool.exe"}).value(), "tool.exe");
}

TEST(CommandLine, RefusesWhatACommandLineCannotCarry) {
    EXPECT_FALSE(windows::commandLine({}));
    EXPECT_FALSE(windows::commandLine({"C:\\a\"b.exe"}));
    EXPECT_FALSE(windows::commandLine({"tool.exe", std::string("a\0b", 3)}));
}

// --- the program and the environment ----------------------------------------------------------

TEST(ResolveProgram, FindsABareNameInTheSystemDirectoryOnly) {
    wchar_t system[MAX_PATH] = {};
    const UINT size = ::GetSystemDirectoryW(system, MAX_PATH);
    auto found = resolveProgram("cmd");
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found.value().native(), std::wstring(system, size) + L"\\cmd.exe");
    // Present next to this test, but the current directory is never searched.
    ASSERT_TRUE(::SetCurrentDirectoryW(testDirectory().c_str()));
    EXPECT_FALSE(resolveProgram("child_probe.exe"));
    EXPECT_FALSE(resolveProgram(".\\child_probe.exe"));
    EXPECT_FALSE(resolveProgram("C:child_probe.exe"));
    EXPECT_FALSE(resolveProgram("no-such-program"));
}

TEST(ResolveProgram, TakesAnAbsoluteExeAndRefusesScripts) {
    auto probe_path = resolveProgram(probePath());
    ASSERT_TRUE(probe_path) << probe_path.error().message;
    EXPECT_EQ(probe_path.value().native(), wide(probePath()));
    const std::wstring script = testDirectory() + L"\\probe-script.cmd";
    ASSERT_NE(UniqueHandle(::CreateFileW(script.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                                         FILE_ATTRIBUTE_NORMAL, nullptr))
                  .get(),
              INVALID_HANDLE_VALUE);
    auto refused = resolveProgram(utf8(script));
    EXPECT_TRUE(::DeleteFileW(script.c_str()));
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find(".exe"), std::string::npos);
    EXPECT_FALSE(resolveProgram(utf8(testDirectory()))); // a directory
    EXPECT_FALSE(resolveProgram(utf8(testDirectory() + L"\\missing.exe")));
}

TEST(ProcessEnvironment, ReadsThisProcessesVariablesAndSkipsDriveDirectories) {
    ASSERT_TRUE(::SetEnvironmentVariableW(L"AZCM_PROBE_VALUE", L"\x00fc=x"));
    const auto environment = processEnvironment();
    ASSERT_EQ(environment.count("AZCM_PROBE_VALUE"), 1U);
    EXPECT_EQ(environment.at("AZCM_PROBE_VALUE"), "\xc3\xbc=x");
    for (const auto& [name, value] : environment) {
        EXPECT_FALSE(name.empty());
        EXPECT_NE(name.front(), '=');
    }
    EXPECT_EQ(environmentVariable("AZCM_PROBE_VALUE"), std::optional<std::string>("\xc3\xbc=x"));
    EXPECT_EQ(environmentVariable("AZCM_PROBE_UNSET"), std::nullopt);
    ASSERT_TRUE(::SetEnvironmentVariableW(L"AZCM_PROBE_EMPTY", L""));
    EXPECT_EQ(environmentVariable("AZCM_PROBE_EMPTY"), std::optional<std::string>(""));
    const std::string long_value(3000, 'v');
    ASSERT_TRUE(::SetEnvironmentVariableW(L"AZCM_PROBE_LONG", wide(long_value).c_str()));
    EXPECT_EQ(environmentVariable("AZCM_PROBE_LONG"), std::optional<std::string>(long_value));
}

// --- runChildProcess --------------------------------------------------------------------------

TEST(RunChildProcess, ArgumentsArriveByteExact) {
    std::vector<std::string> arguments = {"args"};
    arguments.insert(arguments.end(), kHostileArguments.begin(), kHostileArguments.end());
    const auto result = run(probe(arguments));
    EXPECT_EQ(result.exit_code, 0) << result.error_output;
    const auto received = lines(result.output);
    ASSERT_EQ(received.size(), kHostileArguments.size()) << result.output;
    for (std::size_t i = 0; i < received.size(); ++i) {
        EXPECT_EQ(received[i], hex(kHostileArguments[i])) << "argument " << i;
    }
}

TEST(RunChildProcess, OnlyTheGivenEnvironmentArrivesSorted) {
    ASSERT_TRUE(::SetEnvironmentVariableW(L"AZCM_DAEMON_SECRET", L"do-not-pass"));
    auto spec = probe({"env"});
    spec.environment = {{"zeta", "\xc3\xbcn\xc3\xaf"},
                        {"PATH", "C:\\safe"},
                        {"Path", "C:\\daemon-path"},
                        {"A_VAR", "1 2"}};
    const auto result = run(spec);
    EXPECT_EQ(result.exit_code, 0);
    // Sorted without regard to case; of PATH and Path one variable, the upper-case one.
    EXPECT_EQ(withoutWineAdditions(lines(result.output)),
              (std::vector<std::string>{"A_VAR=1 2", "PATH=C:\\safe", "zeta=\xc3\xbcn\xc3\xaf"}));
}

TEST(RunChildProcess, AnEmptyEnvironmentIsEmpty) {
    const auto result = run(probe({"env"}));
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(withoutWineAdditions(lines(result.output)), std::vector<std::string>{});
}

TEST(RunChildProcess, RefusesAVariableThatWouldInjectAnother) {
    auto spec = probe({"env"});
    spec.environment = {{"A=B", "1"}};
    EXPECT_FALSE(runChildProcess(spec));
    spec.environment = {{"A", std::string("1\0B=2", 5)}};
    EXPECT_FALSE(runChildProcess(spec));
}

TEST(RunChildProcess, ReportsExitCodes) {
    for (const int code : {0, 3, 255, 1000}) {
        const auto result = run(probe({"exit", std::to_string(code)}));
        EXPECT_EQ(result.exit_code, code);
        EXPECT_EQ(result.term_signal, 0);
        EXPECT_FALSE(result.timed_out);
    }
}

TEST(RunChildProcess, KeepsTheFirstBytesAndCountsAll) {
    auto spec = probe({"write", "10000", "300"});
    spec.output_limit = 1000;
    spec.kept = KeptOutput::kFirst;
    const auto result = run(spec);
    EXPECT_EQ(result.output, pattern(0, 1000));
    EXPECT_EQ(result.error_output, pattern(0, 300));
    EXPECT_TRUE(result.output_truncated);
    EXPECT_EQ(result.output_bytes, 10000U);
    EXPECT_EQ(result.error_output_bytes, 300U);
}

TEST(RunChildProcess, KeepsTheLastBytes) {
    auto spec = probe({"write", "300", "10000"});
    spec.output_limit = 1000;
    spec.kept = KeptOutput::kLast;
    const auto result = run(spec);
    EXPECT_EQ(result.output, pattern(0, 300));
    EXPECT_EQ(result.error_output, pattern(9000, 1000));
    EXPECT_TRUE(result.output_truncated);
    EXPECT_EQ(result.error_output_bytes, 10000U);
}

TEST(RunChildProcess, NothingTruncatedWithinTheLimit) {
    auto spec = probe({"write", "1000", "1000"});
    spec.output_limit = 1000;
    const auto result = run(spec);
    EXPECT_FALSE(result.output_truncated);
    EXPECT_EQ(result.output, pattern(0, 1000));
}

TEST(RunChildProcess, MergesStderrAsWritten) {
    auto spec = probe({"interleave"});
    spec.merge_stderr = true;
    const auto result = run(spec);
    EXPECT_EQ(result.output, "o1e1o2");
    EXPECT_EQ(result.error_output, "");
    EXPECT_EQ(result.output_bytes, 6U);
    spec.merge_stderr = false;
    const auto separate = run(spec);
    EXPECT_EQ(separate.output, "o1o2");
    EXPECT_EQ(separate.error_output, "e1");
}

TEST(RunChildProcess, StopsAWriterWithoutEndOnceTheFirstBytesAreKept) {
    auto spec = probe({"forever"});
    spec.output_limit = 1000;
    spec.kept = KeptOutput::kFirst;
    spec.stop_when_full = true;
    const auto started = std::chrono::steady_clock::now();
    const auto result = run(spec);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_FALSE(result.timed_out);
    EXPECT_TRUE(result.output_truncated);
    EXPECT_EQ(result.output, pattern(0, 1000));
    EXPECT_EQ(result.exit_code, -1); // killed, not exited
}

TEST(RunChildProcess, TimeoutKillsTheChildAndItsGrandchild) {
    auto spec = probe({"spawn", "60000", "60000"});
    spec.timeout = 2s;
    const auto started = std::chrono::steady_clock::now();
    const auto result = run(spec);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
    EXPECT_TRUE(result.timed_out);
    EXPECT_EQ(result.exit_code, -1);
    const DWORD grandchild = grandchildOf(result.output);
    ASSERT_NE(grandchild, 0U) << result.output << result.error_output;
    EXPECT_FALSE(isRunning(grandchild));
}

TEST(RunChildProcess, WaitsForAGrandchildHoldingTheOutput) {
    auto spec = probe({"spawn", "1500", "0"});
    const auto started = std::chrono::steady_clock::now();
    const auto result = run(spec);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 1400ms);
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 0);
}

TEST(RunChildProcess, EndsWithTheProgramAndLeavesItsGroupToKillProcessGroup) {
    auto spec = probe({"spawn", "60000", "0"});
    spec.ends = RunEnds::kWhenProgramExits;
    ProcessId leader = 0;
    unsigned long long leader_start = 0;
    spec.before_exec = [&](ProcessId pid) -> Result<void> {
        leader = pid;
        leader_start = processStartTime(pid);
        return ok();
    };
    const auto started = std::chrono::steady_clock::now();
    const auto result = run(spec);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 0);
    const DWORD grandchild = grandchildOf(result.output);
    ASSERT_NE(grandchild, 0U) << result.output;
    // As a process group on POSIX: what the program left running lives on, in its group.
    EXPECT_TRUE(isRunning(grandchild));
    ASSERT_NE(leader_start, 0U);
    EXPECT_FALSE(processGroupAlive(leader, leader_start + 1)); // another process's start time
    EXPECT_TRUE(processGroupAlive(leader, leader_start));
    killProcessGroup(leader);
    EXPECT_FALSE(isRunning(grandchild));
    EXPECT_FALSE(processGroupAlive(leader, leader_start));
}

TEST(RunChildProcess, InheritsNoHandleButItsOutput) {
    wchar_t temp[MAX_PATH] = {};
    ::GetTempPathW(MAX_PATH, temp);
    const std::wstring path = std::wstring(temp) + L"azcm-inherit-probe.txt";
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    const UniqueHandle file(
        ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, &inheritable, CREATE_ALWAYS,
                      FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, nullptr));
    ASSERT_NE(file.get(), INVALID_HANDLE_VALUE);
    DWORD written = 0;
    ASSERT_TRUE(::WriteFile(file.get(), "secret", 6, &written, nullptr));
    const std::string value = std::to_string(reinterpret_cast<std::uintptr_t>(file.get()));

    // The probe does find a handle that is inherited: a plain CreateProcessW passes them all.
    std::wstring command = L"probe handle " + wide(value);
    STARTUPINFOW startup{};
    startup.cb = sizeof startup;
    PROCESS_INFORMATION created{};
    ASSERT_TRUE(::CreateProcessW(wide(probePath()).c_str(), command.data(), nullptr, nullptr, TRUE,
                                 CREATE_NO_WINDOW, nullptr, nullptr, &startup, &created));
    ::WaitForSingleObject(created.hProcess, 10000);
    DWORD control_exit = 1;
    ::GetExitCodeProcess(created.hProcess, &control_exit);
    ::CloseHandle(created.hThread);
    ::CloseHandle(created.hProcess);
    ASSERT_EQ(control_exit, 0U) << "the probe cannot tell an inherited handle";

    const auto result = run(probe({"handle", value}));
    EXPECT_EQ(result.output, "no-handle\n");
    EXPECT_EQ(result.exit_code, 3);
}

TEST(RunChildProcess, StdinIsTheNullDevice) {
    EXPECT_EQ(run(probe({"stdin"})).output, "eof\n");
}

TEST(RunChildProcess, RunsInTheWorkingDirectory) {
    wchar_t temp[MAX_PATH] = {};
    const DWORD size = ::GetTempPathW(MAX_PATH, temp);
    std::wstring directory(temp, size);
    directory += L"azcm dir \x00fc";
    ::CreateDirectoryW(directory.c_str(), nullptr);
    auto spec = probe({"cwd"});
    spec.working_directory = std::filesystem::path(directory);
    const auto result = run(spec);
    ::RemoveDirectoryW(directory.c_str());
    EXPECT_EQ(result.output, utf8(directory) + "\n");

    spec.working_directory = std::filesystem::path(directory + L"-missing");
    auto missing = runChildProcess(spec);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("cannot enter"), std::string::npos);
}

TEST(RunChildProcess, FailsForAProgramItCannotRun) {
    ChildProcessSpec spec;
    spec.argv = {"C:\\no\\such\\program.exe"};
    auto missing = runChildProcess(spec);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("C:\\no\\such\\program.exe"), std::string::npos);
    EXPECT_FALSE(runChildProcess(ChildProcessSpec{}));
}

TEST(RunChildProcess, BeforeExecSeesTheChildSuspended) {
    auto spec = probe({"exit", "7"});
    bool still_running = false;
    spec.before_exec = [&](ProcessId pid) -> Result<void> {
        std::this_thread::sleep_for(500ms);
        // "exit 7" would be long done had its thread run.
        still_running = isRunning(static_cast<DWORD>(pid));
        return ok();
    };
    const auto result = run(spec);
    EXPECT_TRUE(still_running);
    EXPECT_EQ(result.exit_code, 7);
}

TEST(RunChildProcess, AnErrorOfBeforeExecKillsTheChildUnstarted) {
    auto spec = probe({"write", "10", "0"});
    DWORD child = 0;
    spec.before_exec = [&](ProcessId pid) -> Result<void> {
        child = static_cast<DWORD>(pid);
        return makeError(exitcode::kGeneric, "placement refused");
    };
    auto refused = runChildProcess(spec);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "placement refused");
    ASSERT_NE(child, 0U);
    EXPECT_FALSE(isRunning(child));
}

// --- jobs: each test runs in a process of its own (a death test), which it may put in a job ---

// A job for this whole process, as a service manager or a CPU cap would put the daemon in.
void joinAJob(DWORD extra_limits) {
    const HANDLE job = ::CreateJobObjectW(nullptr, nullptr); // held until this process exits
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = extra_limits;
    if (job == nullptr ||
        !::SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits,
                                   sizeof limits) ||
        !::AssignProcessToJobObject(job, ::GetCurrentProcess())) {
        std::fprintf(stderr, "cannot join a job: %lu\n", ::GetLastError());
        std::exit(10);
    }
}

// Exits 0 when a child runs, its exit code arrives, and it was (in_daemon_job 1) or was not (0)
// in a job while before_exec ran: the daemon's, since the child's own job is joined after.
[[noreturn]] void runAProbeAndExit(int in_daemon_job) {
    auto spec = probe({"exit", "5"});
    int member = -1;
    spec.before_exec = [&](ProcessId pid) -> Result<void> {
        // PROCESS_QUERY_INFORMATION: wine refuses IsProcessInJob the limited right.
        const UniqueHandle child(
            ::OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, static_cast<DWORD>(pid)));
        BOOL in_job = FALSE;
        if (child && ::IsProcessInJob(child.get(), nullptr, &in_job)) { // in any job
            member = in_job ? 1 : 0;
        }
        return ok();
    };
    auto result = runChildProcess(spec);
    if (!result) {
        std::fprintf(stderr, "%s\n", result.error().message.c_str());
        std::exit(11);
    }
    if (result.value().exit_code != 5) {
        std::exit(12);
    }
    std::exit(member == in_daemon_job ? 0 : 13);
}

TEST(RunChildProcessDeathTest, AChildLeavesTheDaemonsJobWhenItMay) {
    EXPECT_EXIT(
        {
            joinAJob(JOB_OBJECT_LIMIT_BREAKAWAY_OK);
            runAProbeAndExit(0);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST(RunChildProcessDeathTest, AChildStaysInTheDaemonsJobWhenItMayNotLeave) {
    EXPECT_EXIT(
        {
            joinAJob(0);
            runAProbeAndExit(1);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST(RunChildProcessDeathTest, TheChildsTreeDiesWithTheDaemon) {
    wchar_t temp[MAX_PATH] = {};
    ::GetTempPathW(MAX_PATH, temp);
    const std::wstring pid_file = std::wstring(temp) + L"azcm-crash-probe.pid";
    ::DeleteFileW(pid_file.c_str());
    EXPECT_EXIT(
        {
            std::thread runner([&] {
                auto spec = probe({"spawn", "60000", "60000"});
                spec.timeout = 60s;
                spec.before_exec = [&](ProcessId pid) -> Result<void> {
                    const UniqueHandle file(::CreateFileW(pid_file.c_str(), GENERIC_WRITE, 0,
                                                          nullptr, CREATE_ALWAYS, 0, nullptr));
                    const std::string text = std::to_string(pid);
                    DWORD written = 0;
                    ::WriteFile(file.get(), text.data(), static_cast<DWORD>(text.size()), &written,
                                nullptr);
                    return ok();
                };
                (void)runChildProcess(spec);
            });
            std::this_thread::sleep_for(1500ms);          // the child and its grandchild run
            ::TerminateProcess(::GetCurrentProcess(), 0); // a crash: no destructor runs
        },
        ::testing::ExitedWithCode(0), "");
    const UniqueHandle file(::CreateFileW(pid_file.c_str(), GENERIC_READ, 0, nullptr, OPEN_EXISTING,
                                          FILE_FLAG_DELETE_ON_CLOSE, nullptr));
    ASSERT_NE(file.get(), INVALID_HANDLE_VALUE);
    char text[32] = {};
    DWORD size = 0;
    ::ReadFile(file.get(), text, sizeof text - 1, &size, nullptr);
    const auto child = static_cast<DWORD>(std::stoul(std::string(text, size)));
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(isRunning(child));
}

// --- process groups ---------------------------------------------------------------------------

TEST(ProcessGroup, StartTimeIdentifiesARunningProcess) {
    const auto self = static_cast<ProcessId>(::GetCurrentProcessId());
    EXPECT_NE(processStartTime(self), 0U);
    EXPECT_EQ(processStartTime(self), processStartTime(self));
    EXPECT_EQ(processStartTime(0), 0U);
    EXPECT_EQ(processStartTime(-4), 0U);
}

TEST(ProcessGroup, AGroupNeverStartedIsNotAlive) {
    const auto self = static_cast<ProcessId>(::GetCurrentProcessId());
    EXPECT_FALSE(processGroupAlive(self, processStartTime(self)));
    EXPECT_FALSE(processGroupAlive(self, 0));
    killProcessGroup(self, 10ms); // names no job of ours: nothing happens to this process
}

} // namespace
} // namespace azcm::platform
