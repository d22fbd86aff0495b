// himds at rest: once connected and after serving a token, an idle himds keeps a small resident set
// and hardly wakes up. The figures are printed so that CI logs show how they move over time.
#include "common/fs/atomic_file.hpp"
#include "http_test_client.hpp"
#include "sandbox.hpp"

#include <charconv>
#include <cstdint>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

namespace azcm::test {
namespace {

using namespace std::chrono_literals;
namespace stdfs = std::filesystem;

constexpr std::int64_t kMaxResidentKb = 16 * 1024;
constexpr double kMaxIdleCpuMsPerSecond = 2.0;
constexpr auto kIdleWindow = 10s;

std::string procFile(pid_t pid, const std::string& name) {
    auto text = fs::readFile("/proc/" + std::to_string(pid) + "/" + name, 1024 * 1024);
    return text ? text.value() : std::string();
}

// "VmRSS:   1234 kB" in /proc/<pid>/status, "Pss:  1234 kB" in smaps_rollup.
std::int64_t kilobytes(const std::string& text, const std::string& field) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with(field + ":")) {
            std::istringstream values(line.substr(field.size() + 1));
            std::int64_t value = -1;
            values >> value;
            return value;
        }
    }
    return -1;
}

// utime + stime of the whole process (all threads), in milliseconds.
double cpuMilliseconds(pid_t pid) {
    const std::string stat = procFile(pid, "stat");
    // Fields after the command name, which is in parentheses and may contain spaces.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    std::uint64_t utime = 0;
    std::uint64_t stime = 0;
    // state is field 3 of stat(5); utime and stime are fields 14 and 15.
    for (int index = 3; index <= 15 && fields >> field; ++index) {
        if (index == 14) {
            utime = std::stoull(field);
        } else if (index == 15) {
            stime = std::stoull(field);
        }
    }
    return static_cast<double>(utime + stime) * 1000.0 /
           static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Time on a CPU summed over the threads (schedstat, nanoseconds): finer than stat's clock ticks.
std::optional<double> scheduledMilliseconds(pid_t pid) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& task :
         stdfs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        auto text = fs::readFile(task.path() / "schedstat");
        if (!text) {
            return std::nullopt;
        }
        std::istringstream values(text.value());
        std::uint64_t nanoseconds = 0;
        if (!(values >> nanoseconds)) {
            return std::nullopt;
        }
        total += nanoseconds;
    }
    if (ec) {
        return std::nullopt;
    }
    return static_cast<double>(total) / 1e6;
}

TEST(FootprintTest, IdleHimdsIsSmallAndQuiet) {
    Sandbox sandbox;
    sandbox.startEmulator();
    // Heartbeats an hour apart: the window below measures himds at rest, not its heartbeat.
    sandbox.startHimds(3600);
    const auto onboarder =
        sandbox.createServicePrincipal("onboarder", "Azure Connected Machine Onboarding");
    const auto connect = sandbox.azcmagent(sandbox.connectArgs(onboarder, "footprint01"));
    ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;
    const auto exchange = imdsTokenExchange(sandbox.imdsPort(), "https://management.azure.com/");
    ASSERT_EQ(exchange.answer.result_int(), 200) << exchange.answer.body();

    const pid_t pid = sandbox.himdsPid();
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(2s);

    const auto resident_kb = kilobytes(procFile(pid, "status"), "VmRSS");
    const auto proportional_kb = kilobytes(procFile(pid, "smaps_rollup"), "Pss");
    const double cpu_before = cpuMilliseconds(pid);
    const auto scheduled_before = scheduledMilliseconds(pid);
    const auto started = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(kIdleWindow);
    const double cpu_after = cpuMilliseconds(pid);
    const auto scheduled_after = scheduledMilliseconds(pid);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_TRUE(sandbox.himdsRunning());

    const double cpu_per_second = (cpu_after - cpu_before) / seconds;
    std::ostringstream figures;
    figures << "himds footprint: VmRSS " << resident_kb << " kB, Pss " << proportional_kb
            << " kB, idle CPU " << cpu_per_second << " ms/s (stat)";
    std::optional<double> scheduled_per_second;
    if (scheduled_before && scheduled_after) {
        scheduled_per_second = (*scheduled_after - *scheduled_before) / seconds;
        figures << ", " << *scheduled_per_second << " ms/s (schedstat)";
    }
    figures << " over " << seconds << " s";
    std::cout << figures.str() << std::endl;
    RecordProperty("himds_vmrss_kb", std::to_string(resident_kb));
    RecordProperty("himds_pss_kb", std::to_string(proportional_kb));
    RecordProperty("himds_idle_cpu_ms_per_s", std::to_string(cpu_per_second));

    ASSERT_GT(resident_kb, 0) << "no VmRSS for pid " << pid;
    EXPECT_LT(resident_kb, kMaxResidentKb) << figures.str();
    EXPECT_LT(cpu_per_second, kMaxIdleCpuMsPerSecond) << figures.str();
    if (scheduled_per_second) {
        EXPECT_LT(*scheduled_per_second, kMaxIdleCpuMsPerSecond) << figures.str();
    }
}

} // namespace
} // namespace azcm::test
