#pragma once
// CPU caps for the daemons and the extension handlers they run (docs/resource-limits.md). A cap is
// a percentage of ONE logical CPU on every platform.
//
// Group layout (per cgroup hierarchy that matters: the one with `cpu`, and the one with `cpuacct`
// when v1 mounts it separately):
//
//   <base>/<daemon>/self          the daemon itself (a leaf: capped by the daemon's own cap)
//   <base>/<daemon>/ext/<name>    one leaf per extension handler (capped by its own cap)
//
// The daemon never sits in `<base>/<daemon>` itself: v1 accounting is hierarchical (a group's
// usage includes its children's), and a cap on `<daemon>` would cap the daemon and its extensions
// together; cgroup v2 forbids processes in inner groups that have controllers enabled anyway. So
// every process lives in a leaf, and a leaf's usage is exactly its own.
//
// `<base>` is the daemon's own unit cgroup when systemd delegates it (Delegate=yes), else
// `AZCM_CGROUP_ROOT` (a path inside every hierarchy), else defaultCgroupBaseName() beside the
// process's current group as /proc/self/cgroup shows it. When delegated, `<base>/<daemon>` is the
// unit's group itself (the unit already is per-daemon).
//
// When the cap cannot be enforced (no cgroup write access, no cpu controller) nothing fails: the
// limiter and its groups report "not enforced: <reason>", write nothing, and sample() says why.
#include "error.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace azcm::platform {

// ---- Pure arithmetic and parsing (platform-neutral; unit-tested directly) ----------------------

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
// cgroup v2 cpu.max: "5000 100000", "max 100000".
std::string formatCpuMax(const CpuQuota& quota);
Result<CpuQuota> parseCpuMax(std::string_view text);
// cgroup v1 cpu.cfs_quota_us: "5000", "-1".
std::string formatCfsQuota(const CpuQuota& quota);

// One line of /proc/<pid>/cgroup: "4:cpu,cpuacct:/a/b" (v1) or "0::/a/b" (v2).
struct ProcCgroupEntry {
    int hierarchy_id = 0;
    std::vector<std::string> controllers; // empty for v2; "name=systemd" kept as is
    std::string path;
};
std::vector<ProcCgroupEntry> parseProcCgroup(std::string_view text);

// One line of /proc/<pid>/mountinfo (proc(5)), only the fields that matter here.
struct MountInfoEntry {
    std::string root;                       // the mount's root inside its file system ("/" usually)
    std::string mount_point;                // octal escapes (\040) decoded
    std::string fs_type;                    // "cgroup", "cgroup2", ...
    std::vector<std::string> super_options; // v1 cgroup: the controllers ("rw", "cpu", ...)
};
std::vector<MountInfoEntry> parseMountInfo(std::string_view text);

// ---- Layout -------------------------------------------------------------------------------------

enum class CgroupVersion { kV1, kV2 };

// A mounted hierarchy this process belongs to.
struct CgroupHierarchy {
    CgroupVersion version = CgroupVersion::kV1;
    std::filesystem::path mount_dir; // where it is mounted (under the injected root prefix)
    std::string mount_root;          // mountinfo root: the hierarchy path mount_dir shows
    std::string process_path;        // the process's group inside the hierarchy (/proc/.../cgroup)

    // Directory of a hierarchy path ("/azcmagent/gcad/self") below mount_dir.
    std::filesystem::path dirOf(std::string_view hierarchy_path) const;
};

struct CgroupLayout {
    std::optional<CgroupHierarchy> cpu;     // carries the quota (cpu controller)
    std::optional<CgroupHierarchy> cpuacct; // carries usage: v1 cpuacct, or the v2 hierarchy
    bool unified_mounted = false;           // a cgroup2 mount exists (hybrid when cpu is on v1)
    std::string problem;                    // why there is no usable cpu hierarchy

    bool separateAccounting() const;
    // e.g. "cgroup v1 hybrid (cpu at /sys/fs/cgroup/cpu, cpuacct at /sys/fs/cgroup/cpuacct)".
    std::string describe() const;
};

// Reads <root>/proc/<pid>/cgroup and <root>/proc/<pid>/mountinfo ("self" by default) and the
// cgroup.controllers of a v2 mount. `root` is "/" except in tests (fixture trees).
CgroupLayout detectCgroupLayout(const std::filesystem::path& root = "/",
                                const std::string& pid = "self");

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

// Paths of one group, per hierarchy; empty when the group is not enforced.
class CpuGroup {
public:
    CpuGroup() = default; // not enforced, reason empty

    const std::string& path() const { return path_; } // hierarchy path, e.g. /azcmagent/gcad/self
    const Enforcement& enforcement() const { return enforcement_; }
    const std::optional<CpuQuota>& appliedQuota() const { return applied_; }
    std::filesystem::path cpuDir() const { return cpu_dir_; }
    std::filesystem::path accountingDir() const { return acct_dir_; }

    // Moves a whole process (all its threads) into the group in every hierarchy that matters:
    // the cpu one (capped) and the cpuacct one (accounted).
    Result<void> attach(pid_t pid);
    // Sets or changes the cap; takes effect in the kernel before this returns.
    Result<void> setQuotaPercent(std::optional<unsigned> percent);
    // Reads the cap back from the kernel's files.
    Result<CpuQuota> readQuota() const;
    // Reads usage and throttling counters of THIS group (not its parent's, not the root's).
    Result<CpuSample> sample() const;
    // Removes the group's directories; moves nothing: fails while a process is still inside.
    Result<void> remove();

private:
    friend class CpuLimiter;
    std::string path_;
    Enforcement enforcement_;
    std::optional<CgroupHierarchy> cpu_h_;
    std::optional<CgroupHierarchy> acct_h_;
    std::filesystem::path cpu_dir_;
    std::filesystem::path acct_dir_;
    std::optional<CpuQuota> applied_;
};

// The name of <base> when neither delegation nor AZCM_CGROUP_ROOT decides: "azcmagent" for the
// installed agent (AZCM_ROOT "/"), "azcmagent-<first 10 hex digits of SHA-256 of the root path>"
// for a sandbox, so that sandboxes running at once never share (and remove) each other's groups.
std::string defaultCgroupBaseName(const std::filesystem::path& agent_root);

struct CpuLimiterOptions {
    std::string daemon_name;                 // e.g. "gcad", "extd"
    std::filesystem::path root_prefix = "/"; // tests: a fixture tree
    // AZCM_CGROUP_ROOT: a hierarchy path for <base> ("/azcmagent"); empty: the default.
    std::string cgroup_root;
    // AZCM_ROOT of the agent (Paths::root()): names the default <base>.
    std::filesystem::path agent_root = "/";
};

class CpuLimiter {
public:
    // Never fails: when nothing can be enforced, enforcement() says why.
    explicit CpuLimiter(CpuLimiterOptions options);
    // Options from the environment (AZCM_CGROUP_ROOT, AZCM_ROOT) for a daemon named
    // `daemon_name`.
    static CpuLimiter fromEnvironment(const std::string& daemon_name);

    const CgroupLayout& layout() const { return layout_; }
    const Enforcement& enforcement() const { return enforcement_; }
    bool delegated() const { return delegated_; }
    // Hierarchy path of <base>/<daemon> (same in every hierarchy unless delegated).
    const std::string& daemonPath() const { return daemon_path_; }

    // <base>/<daemon>/self, created if needed.
    CpuGroup daemonGroup();
    // <base>/<daemon>/ext/<name>, created if needed. `name` must be one path component.
    CpuGroup extensionGroup(const std::string& name);
    // Removes <base>/<daemon>/ext, self and <base>/<daemon> when they are empty (uninstall, tests).
    Result<void> removeDaemonTree();

private:
    CpuGroup makeGroup(const std::string& relative);

    CpuLimiterOptions options_;
    CgroupLayout layout_;
    Enforcement enforcement_;
    bool delegated_ = false;
    std::string daemon_path_;      // in the cpu hierarchy
    std::string acct_daemon_path_; // in the cpuacct hierarchy
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
    // every 10 s over a minute: the window spans 60 s). Nullopt with fewer than two samples.
    std::optional<CpuWindowReport> report() const;

private:
    std::chrono::nanoseconds window_;
    std::deque<CpuSample> samples_;
};

// Usage between two samples as a percentage of one logical CPU.
double usedPercent(const CpuSample& from, const CpuSample& to);

} // namespace azcm::platform
