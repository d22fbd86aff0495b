#pragma once
// CPU caps for the daemons and the extension handlers they run (docs/resource-limits.md). A cap is
// a percentage of ONE logical CPU on every platform.
//
// Each daemon has a limiter; it makes one group for the daemon itself and one per extension
// handler, each capped on its own and accounted on its own, so a group's usage is exactly its
// processes'. Where the groups live is the platform's business: on Linux cgroups (v1, v2 and the
// hybrid layout; platform/linux/cgroup_layout.hpp), on Windows job objects.
//
// When the cap cannot be enforced (no write access, no cpu controller) nothing fails: the limiter
// and its groups report "not enforced: <reason>", write nothing, and sample() says why.
#include "common/error.hpp"
#include "common/platform/os_types.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::platform {

// ---- Quota arithmetic ---------------------------------------------------------------------------

inline constexpr std::int64_t kCpuPeriodUs = 100'000; // 100 ms
inline constexpr std::int64_t kMinCpuQuotaUs = 1'000; // the kernel refuses less than 1 ms

// A CFS bandwidth setting; no quota means unlimited ("max" in v2, -1 in v1).
struct CpuQuota {
    std::optional<std::int64_t> quota_us;
    std::int64_t period_us = kCpuPeriodUs;

    friend bool operator==(const CpuQuota&, const CpuQuota&) = default;
};

// percent of one logical CPU -> quota per 100 ms period; nullopt -> unlimited. 5 -> 5000/100000.
CpuQuota quotaForPercent(std::optional<unsigned> percent);
// The percentage a quota stands for (nullopt when unlimited).
std::optional<double> percentForQuota(const CpuQuota& quota);
// ---- Groups -------------------------------------------------------------------------------------

struct Enforcement {
    bool enforced = false;
    std::string reason; // set when not enforced

    // "enforced" or "not enforced: <reason>".
    std::string describe() const;
};

// Cumulative kernel counters of one group at one moment.
struct CpuSample {
    std::chrono::steady_clock::time_point at;
    std::uint64_t usage_ns = 0;     // v1 cpuacct.usage; v2 cpu.stat usage_usec * 1000
    std::uint64_t throttled_ns = 0; // v1 cpu.stat throttled_time; v2 throttled_usec * 1000
    std::uint64_t nr_throttled = 0; // periods in which the group was throttled
};

// Where a group lives, and where a limiter puts its groups: defined by each platform (Linux:
// platform/linux/cgroup_layout.hpp), for its implementation and its own tests.
struct CpuGroupPlacement;
struct CpuLimiterPlacement;

// One capped and accounted group of processes; not enforced when made by default.
class CpuGroup {
public:
    CpuGroup() = default; // not enforced, reason empty

    // Names the group in status reports (Linux: its cgroup path, e.g. /azcmagent/gcad/self).
    const std::string& path() const { return path_; }
    const Enforcement& enforcement() const { return enforcement_; }
    const std::optional<CpuQuota>& appliedQuota() const { return applied_; }
    // The platform's detail; null when the group was never placed.
    const CpuGroupPlacement* placement() const { return placement_.get(); }

    // Moves a whole process (all its threads) into the group, where it is capped and accounted.
    Result<void> attach(ProcessId pid);
    // Sets or changes the cap; takes effect in the kernel before this returns.
    Result<void> setQuotaPercent(std::optional<unsigned> percent);
    // Reads the cap back from the kernel.
    Result<CpuQuota> readQuota() const;
    // Reads usage and throttling counters of THIS group (not its parent's, not the system's).
    Result<CpuSample> sample() const;
    // Removes the group; moves nothing: fails while a process is still inside.
    Result<void> remove();

private:
    friend class CpuLimiter;
    std::string path_;
    Enforcement enforcement_;
    std::shared_ptr<const CpuGroupPlacement> placement_;
    std::optional<CpuQuota> applied_;
};

struct CpuLimiterOptions {
    std::string daemon_name;                 // e.g. "gcad", "extd"
    std::filesystem::path root_prefix = "/"; // tests: a fixture tree
    // AZCM_CGROUP_ROOT: where the groups go instead of the default ("/azcmagent"); Linux only.
    std::string cgroup_root;
    // AZCM_ROOT of the agent (Paths::root()): sandboxes running at once never share groups.
    std::filesystem::path agent_root = "/";
};

class CpuLimiter {
public:
    // Never fails: when nothing can be enforced, enforcement() says why.
    explicit CpuLimiter(CpuLimiterOptions options);
    // Options from the environment (AZCM_CGROUP_ROOT, AZCM_ROOT) for a daemon named
    // `daemon_name`.
    static CpuLimiter fromEnvironment(const std::string& daemon_name);

    const Enforcement& enforcement() const { return enforcement_; }
    // The platform's detail (Linux: the cgroup layout, delegation, the daemon's group paths).
    const CpuLimiterPlacement& placement() const { return *placement_; }

    // The daemon's own group, created if needed.
    CpuGroup daemonGroup();
    // The group of extension handler `name`, created if needed. `name` must be one path component.
    CpuGroup extensionGroup(const std::string& name);
    // Removes the daemon's groups when they are empty (uninstall, tests).
    Result<void> removeDaemonTree();

private:
    CpuGroup makeGroup(const std::string& relative);

    CpuLimiterOptions options_;
    Enforcement enforcement_;
    std::shared_ptr<CpuLimiterPlacement> placement_;
};

// ---- Reporting ----------------------------------------------------------------------------------

// What `GET /status` shows per capped component: CPU used and time throttled over the window.
struct CpuWindowReport {
    std::chrono::nanoseconds covered{0}; // wall time between the oldest and newest sample used
    double used_percent = 0;             // of one logical CPU over `covered`
    std::chrono::nanoseconds throttled{0};
    std::uint64_t nr_throttled = 0;
};

// Keeps periodic samples for a sliding window (default: the last minute) and reports the deltas.
// A counter that goes backwards (the group was recreated) starts the window afresh.
class CpuUsageWindow {
public:
    explicit CpuUsageWindow(std::chrono::nanoseconds window = std::chrono::minutes(1))
        : window_(window) {}

    void add(const CpuSample& sample);
    // Deltas between the newest sample and the oldest one at most `window` older than it (samples
    // every 30 s over a minute: the window spans 60 s). Nullopt with fewer than two samples.
    std::optional<CpuWindowReport> report() const;

private:
    std::chrono::nanoseconds window_;
    std::deque<CpuSample> samples_;
};

// Usage between two samples as a percentage of one logical CPU.
double usedPercent(const CpuSample& from, const CpuSample& to);

} // namespace azcm::platform
