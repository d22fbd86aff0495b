// The CPU-cap benchmark (docs/benchmarks.md), on the REAL cgroup file system (root):
//
//   cpu_cap_bench shares [--caps 5,20,50] [--windows 6] [--window-seconds 10]
//       per cap: a process spinning on two threads in an extension group under that cap; its
//       share of one CPU in every window, from the group's own accounting: min, median, max.
//   cpu_cap_bench hold --seconds N [--cap 5]
//       keeps two spinners at the cap in the groups gcservice and an extension use
//       (<base>/gcad/self and <base>/extd/ext/bench-spin) for N seconds, so another tool can
//       measure himds meanwhile (scripts/bench-cpu.sh).
//   cpu_cap_bench change [--count 200]
//       how long a cap change takes to reach the kernel: setQuotaPercent until the quota reads
//       back, p50/p99/max.
//
// Groups live under a per-run AZCM_CGROUP_ROOT-style base and are removed at the end.
#include "common/platform/linux/cgroup_layout.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using azcm::platform::CpuGroup;
using azcm::platform::CpuLimiter;
using azcm::platform::CpuLimiterOptions;
using azcm::platform::CpuSample;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};

// A child spinning on two threads, moved into its group before it starts spinning.
class Spinner {
public:
    explicit Spinner(CpuGroup& group) {
        std::array<int, 2> gate{};
        if (::pipe2(gate.data(), O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(gate[1]);
            char go = 0;
            if (::read(gate[0], &go, 1) != 1) {
                ::_exit(1);
            }
            auto spin = [] {
                volatile unsigned long counter = 0;
                for (;;) {
                    counter = counter + 1;
                }
            };
            std::thread first(spin);
            spin();
        }
        ::close(gate[0]);
        auto attached = group.attach(pid_);
        const char go = 1;
        [[maybe_unused]] auto written = ::write(gate[1], &go, 1);
        ::close(gate[1]);
        if (!attached) {
            stop();
            throw std::runtime_error("cannot attach the spinner: " + attached.error().message);
        }
    }
    Spinner(const Spinner&) = delete;
    Spinner& operator=(const Spinner&) = delete;
    Spinner(Spinner&&) = delete;
    Spinner& operator=(Spinner&&) = delete;
    ~Spinner() { stop(); }

    void stop() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

private:
    pid_t pid_ = -1;
};

CpuLimiter makeLimiter(const std::string& daemon, const std::string& base) {
    CpuLimiterOptions options;
    options.daemon_name = daemon;
    options.cgroup_root = base;
    return CpuLimiter(options);
}

void removeTree(CpuLimiter& limiter) {
    for (int attempt = 0; attempt < 50; ++attempt) { // exit accounting lags behind waitpid
        if (limiter.removeDaemonTree()) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::cerr << "cpu_cap_bench: could not remove " << limiter.placement().daemon_path << "\n";
}

void removeBase(CpuLimiter& limiter, const std::string& base) {
    for (const auto& hierarchy :
         {limiter.placement().layout.cpu, limiter.placement().layout.cpuacct}) {
        if (hierarchy) {
            ::rmdir(hierarchy->dirOf(base).c_str());
        }
    }
}

std::optional<std::string> option(std::vector<std::string>& args, const std::string& name) {
    auto it = std::find(args.begin(), args.end(), name);
    if (it == args.end() || it + 1 == args.end()) {
        return std::nullopt;
    }
    std::string value = *(it + 1);
    args.erase(it, it + 2);
    return value;
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

bool requireEnforced(const CpuLimiter& limiter) {
    if (!limiter.enforcement().enforced) {
        std::cerr << "cpu_cap_bench: cgroups not writable here ("
                  << limiter.enforcement().describe() << "); run as root\n";
        return false;
    }
    return true;
}

int shares(std::vector<std::string> args, const std::string& base) {
    std::vector<unsigned> caps = {5, 20, 50};
    if (auto text = option(args, "--caps")) {
        caps.clear();
        std::stringstream list(*text);
        for (std::string item; std::getline(list, item, ',');) {
            caps.push_back(static_cast<unsigned>(std::stoul(item)));
        }
    }
    const int windows = std::stoi(option(args, "--windows").value_or("6"));
    const auto window =
        std::chrono::seconds(std::stoi(option(args, "--window-seconds").value_or("10")));
    auto limiter = makeLimiter("extd", base);
    if (!requireEnforced(limiter)) {
        return 1;
    }
    std::cout << "cgroup layout: " << limiter.placement().layout.describe() << "\n";
    std::printf("%-6s %-8s %-9s %-9s %-9s %-9s %s\n", "cap", "windows", "min%", "median%", "max%",
                "limit%", "verdict");
    int failures = 0;
    for (const auto cap : caps) {
        auto group = limiter.extensionGroup("bench-spin");
        if (auto set = group.setQuotaPercent(cap); !set) {
            std::cerr << "cannot set the cap: " << set.error().message << "\n";
            return 1;
        }
        std::vector<double> shares;
        {
            Spinner spinner(group);
            std::this_thread::sleep_for(std::chrono::seconds(1)); // past the first period
            auto from = group.sample().value();
            for (int i = 0; i < windows && !g_interrupted; ++i) {
                std::this_thread::sleep_for(window);
                auto to = group.sample().value();
                shares.push_back(azcm::platform::usedPercent(from, to));
                from = to;
            }
        }
        if (shares.empty()) {
            break;
        }
        const double limit = cap * 1.05;
        const double max = *std::max_element(shares.begin(), shares.end());
        const bool held = max <= limit;
        failures += held ? 0 : 1;
        std::printf("%-6u %-8zu %-9.2f %-9.2f %-9.2f %-9.2f %s\n", cap, shares.size(),
                    *std::min_element(shares.begin(), shares.end()), percentile(shares, 0.5), max,
                    limit, held ? "held" : "EXCEEDED");
        std::fflush(stdout);
        removeTree(limiter);
    }
    removeTree(limiter);
    removeBase(limiter, base);
    return failures == 0 ? 0 : 3;
}

int hold(std::vector<std::string> args, const std::string& base) {
    const int seconds = std::stoi(option(args, "--seconds").value_or("30"));
    const auto cap = static_cast<unsigned>(std::stoul(option(args, "--cap").value_or("5")));
    auto gc = makeLimiter("gcad", base);
    auto ext = makeLimiter("extd", base);
    if (!requireEnforced(gc) || !requireEnforced(ext)) {
        return 1;
    }
    auto gc_group = gc.daemonGroup();
    auto ext_group = ext.extensionGroup("bench-spin");
    if (!gc_group.setQuotaPercent(cap) || !ext_group.setQuotaPercent(cap)) {
        std::cerr << "cannot set the caps\n";
        return 1;
    }
    {
        Spinner gc_spinner(gc_group);
        Spinner ext_spinner(ext_group);
        const auto gc_from = gc_group.sample().value();
        const auto ext_from = ext_group.sample().value();
        std::cout << "holding two spinners at " << cap << "% (" << gc_group.path() << ", "
                  << ext_group.path() << ") for " << seconds << " s" << std::endl;
        const auto until = Clock::now() + std::chrono::seconds(seconds);
        while (Clock::now() < until && !g_interrupted) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        std::printf("held: gcad/self used %.2f%%, extd/ext/bench-spin used %.2f%% of one CPU\n",
                    azcm::platform::usedPercent(gc_from, gc_group.sample().value()),
                    azcm::platform::usedPercent(ext_from, ext_group.sample().value()));
    }
    removeTree(gc);
    removeTree(ext);
    removeBase(gc, base);
    return 0;
}

int change(std::vector<std::string> args, const std::string& base) {
    const int count = std::stoi(option(args, "--count").value_or("200"));
    auto limiter = makeLimiter("extd", base);
    if (!requireEnforced(limiter)) {
        return 1;
    }
    auto group = limiter.extensionGroup("bench-change");
    std::vector<double> micros;
    for (int i = 0; i < count; ++i) {
        const unsigned cap = i % 2 == 0 ? 50 : 5;
        const auto start = Clock::now();
        if (!group.setQuotaPercent(cap)) {
            std::cerr << "cannot set the cap\n";
            return 1;
        }
        const auto read = group.readQuota();
        const auto elapsed = std::chrono::duration<double, std::micro>(Clock::now() - start);
        if (!read || read.value().quota_us != cap * 1000) {
            std::cerr << "the kernel does not show the new quota\n";
            return 1;
        }
        micros.push_back(elapsed.count());
    }
    std::printf("cap change to kernel (write + read back), %d changes: p50 %.1f us, p99 %.1f us, "
                "max %.1f us\n",
                count, percentile(micros, 0.5), percentile(micros, 0.99),
                *std::max_element(micros.begin(), micros.end()));
    removeTree(limiter);
    removeBase(limiter, base);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << "usage: cpu_cap_bench shares|hold|change [options] (see the source header)\n";
        return 2;
    }
    std::signal(SIGINT, [](int) { g_interrupted = true; });
    std::signal(SIGTERM, [](int) { g_interrupted = true; });
    const std::string mode = args.front();
    args.erase(args.begin());
    const std::string base = "/azcm-bench-" + std::to_string(::getpid());
    try {
        if (mode == "shares") {
            return shares(args, base);
        }
        if (mode == "hold") {
            return hold(args, base);
        }
        if (mode == "change") {
            return change(args, base);
        }
    } catch (const std::exception& error) {
        std::cerr << "cpu_cap_bench: " << error.what() << "\n";
        return 1;
    }
    std::cerr << "cpu_cap_bench: unknown mode '" << mode << "'\n";
    return 2;
}
