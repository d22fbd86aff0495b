// The CPU cap on the REAL cgroup file system (label integration-root, run serially): a process that
// spins on two threads under a 5% cap uses at most 5.25% of one CPU in every 10-second window over
// a minute, measured from its own group's accounting; a raised cap is in the kernel's files as soon
// as the call returns; its usage never shows in the sibling daemon group. Needs write access to the
// cgroup tree (root on CI): without it the test fails and says so. Groups are removed afterwards,
// also on failure.
#include "common/platform/linux/cgroup_layout.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::test {
namespace {

using platform::CpuGroup;
using platform::CpuLimiter;
using platform::CpuSample;
using std::chrono::seconds;

constexpr double kCapPercent = 5;
constexpr double kAllowedPercent = 5.25;
constexpr int kWindows = 6;
constexpr auto kWindow = seconds(10);

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A child in its own process group that waits on a pipe before exec, so it can be moved into its
// group before it runs (and before the shell forks its background loop, which must inherit it).
class GatedChild {
public:
    GatedChild(const GatedChild&) = delete;
    GatedChild& operator=(const GatedChild&) = delete;
    GatedChild(GatedChild&&) = delete;
    GatedChild& operator=(GatedChild&&) = delete;

    explicit GatedChild(const std::string& script) {
        std::array<int, 2> gate{};
        if (::pipe2(gate.data(), O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setpgid(0, 0);
            char go = 0;
            ::close(gate[1]);
            if (::read(gate[0], &go, 1) != 1) {
                ::_exit(120);
            }
            ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::setpgid(pid_, pid_); // also here, so killpg works whoever runs first
        ::close(gate[0]);
        gate_ = gate[1];
    }
    ~GatedChild() { kill(); }

    pid_t pid() const { return pid_; }
    void release() {
        const char go = 1;
        if (gate_ >= 0) {
            (void)!::write(gate_, &go, 1);
            ::close(gate_);
            gate_ = -1;
        }
    }
    // Kills the whole process group and reaps it (this process is a subreaper, so the shell's
    // background loop comes back to it): only then can the groups be removed.
    void kill() {
        if (gate_ >= 0) {
            ::close(gate_);
            gate_ = -1;
        }
        if (pid_ <= 0) {
            return;
        }
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(-pid_, &status, 0) > 0 || errno == EINTR) {
        }
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
    int gate_ = -1;
};

std::string groupsOf(pid_t pid) {
    return readFile("/proc/" + std::to_string(pid) + "/cgroup");
}

TEST(CpuLimitRootTest, FivePercentCapHoldsAndChangesLive) {
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    platform::CpuLimiterOptions options;
    options.daemon_name = "azcm-cputest-" + std::to_string(::getpid());
    CpuLimiter limiter(options);
    std::cout << "cgroup layout: " << limiter.placement().layout.describe() << "\n";
    ASSERT_TRUE(limiter.enforcement().enforced)
        << "this test needs a writable cgroup tree with the cpu controller (root on CI): "
        << limiter.enforcement().describe();
    ASSERT_TRUE(limiter.placement().layout.cpuacct)
        << "no cpuacct accounting: " << limiter.placement().layout.describe();

    auto daemon = limiter.daemonGroup();
    auto extension = limiter.extensionGroup("spinner");
    // Removed at the end whatever happens: processes first (a group with processes stays).
    std::optional<GatedChild> resident;
    std::optional<GatedChild> spinner;
    struct Cleanup {
        std::optional<GatedChild>& resident;
        std::optional<GatedChild>& spinner;
        CpuLimiter& limiter;
        ~Cleanup() {
            resident.reset();
            spinner.reset();
            auto removed = limiter.removeDaemonTree();
            for (int attempt = 0; !removed && attempt < 50; ++attempt) { // exit accounting lags
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                removed = limiter.removeDaemonTree();
            }
            if (!removed) {
                ADD_FAILURE() << "cleanup: " << removed.error().message;
            }
            const auto base = limiter.placement().daemon_path.substr(
                0, limiter.placement().daemon_path.find_last_of('/'));
            ::rmdir(limiter.placement().layout.cpu->dirOf(base).c_str()); // only if empty: others
                                                                          // may use it
            ::rmdir(limiter.placement().layout.cpuacct->dirOf(base).c_str());
        }
    } cleanup{resident, spinner, limiter};

    ASSERT_TRUE(daemon.enforcement().enforced) << daemon.enforcement().describe();
    ASSERT_TRUE(extension.enforcement().enforced) << extension.enforcement().describe();
    std::cout << "extension group: " << extension.placement()->cpu_dir << " and "
              << extension.placement()->acct_dir << "\n";
    // Its own accounting, not the hierarchy's root group.
    ASSERT_NE(extension.placement()->acct_dir, limiter.placement().layout.cpuacct->mount_dir);
    ASSERT_NE(extension.placement()->cpu_dir, limiter.placement().layout.cpu->mount_dir);

    // The daemon's leaf holds an idle resident, as the daemon itself would be.
    resident.emplace("exec sleep 600");
    ASSERT_TRUE(daemon.attach(resident->pid()));
    resident->release();
    ASSERT_TRUE(daemon.setQuotaPercent(20));

    ASSERT_TRUE(extension.setQuotaPercent(static_cast<unsigned>(kCapPercent)));
    EXPECT_EQ(readFile(extension.placement()->cpu_dir / "cpu.cfs_quota_us"), "5000\n");
    EXPECT_EQ(readFile(extension.placement()->cpu_dir / "cpu.cfs_period_us"), "100000\n");
    spinner.emplace("while :; do :; done & while :; do :; done");
    auto attached = extension.attach(spinner->pid());
    ASSERT_TRUE(attached) << attached.error().message;
    spinner->release();
    const auto groups = groupsOf(spinner->pid());
    EXPECT_NE(groups.find(":cpu:" + extension.path() + "\n"), std::string::npos) << groups;
    EXPECT_NE(groups.find(":cpuacct:" + extension.path() + "\n"), std::string::npos) << groups;

    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // both loops running
    auto ext_before = extension.sample().value();
    auto daemon_before = daemon.sample().value();
    for (int window = 1; window <= kWindows; ++window) {
        std::this_thread::sleep_for(kWindow);
        const auto ext_after = extension.sample().value();
        const auto daemon_after = daemon.sample().value();
        const double used = platform::usedPercent(ext_before, ext_after);
        const double daemon_used = platform::usedPercent(daemon_before, daemon_after);
        const auto throttled_ms = (ext_after.throttled_ns - ext_before.throttled_ns) / 1'000'000;
        const auto throttled_periods = ext_after.nr_throttled - ext_before.nr_throttled;
        std::printf("window %d: extension used %.3f%% of one CPU (cap %.0f%%, limit %.2f%%), "
                    "throttled %llu ms in %llu periods; daemon group used %.3f%%\n",
                    window, used, kCapPercent, kAllowedPercent,
                    static_cast<unsigned long long>(throttled_ms),
                    static_cast<unsigned long long>(throttled_periods), daemon_used);
        std::fflush(stdout);
        EXPECT_LE(used, kAllowedPercent) << "window " << window;
        // It really spins inside this group: well above nothing, and held back by the cap.
        EXPECT_GE(used, kCapPercent * 0.6) << "window " << window;
        EXPECT_GT(throttled_periods, 50u) << "window " << window;
        // None of it in the sibling daemon group.
        EXPECT_LT(daemon_used, 0.5) << "window " << window;
        ext_before = ext_after;
        daemon_before = daemon_after;
    }

    // A raised cap is in the kernel's files when the call returns.
    ASSERT_TRUE(extension.setQuotaPercent(50));
    EXPECT_EQ(readFile(extension.placement()->cpu_dir / "cpu.cfs_quota_us"), "50000\n");
    const auto raised = extension.sample().value();
    std::this_thread::sleep_for(seconds(5));
    const double raised_used = platform::usedPercent(raised, extension.sample().value());
    std::printf("after raising the cap to 50%%: extension used %.3f%% of one CPU over 5 s\n",
                raised_used);
    EXPECT_GT(raised_used, 8.0);
    EXPECT_LE(raised_used, 52.5);
    EXPECT_EQ(readFile(daemon.placement()->cpu_dir / "cpu.cfs_quota_us"), "20000\n");

    // Removing a group with a process inside fails and moves nothing.
    auto busy = extension.remove();
    EXPECT_FALSE(busy);
    EXPECT_NE(groupsOf(spinner->pid()).find(extension.path()), std::string::npos);
}

} // namespace
} // namespace azcm::test
