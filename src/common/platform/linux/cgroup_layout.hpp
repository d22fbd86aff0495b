#pragma once
// CPU caps on Linux: the cgroup hierarchies that carry the cpu and cpuacct controllers, and where
// a limiter's groups go in them.
//
// Group layout (per hierarchy that matters: the one with `cpu`, and the one with `cpuacct` when
// v1 mounts it separately):
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
#include "common/platform/cpu_limit.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::platform {

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

// The name of <base> when neither delegation nor AZCM_CGROUP_ROOT decides: "azcmagent" for the
// installed agent (AZCM_ROOT "/"), "azcmagent-<first 10 hex digits of SHA-256 of the root path>"
// for a sandbox, so that sandboxes running at once never share (and remove) each other's groups.
std::string defaultCgroupBaseName(const std::filesystem::path& agent_root);

// A CpuGroup's place: its directory in the cpu hierarchy and in the accounting one (the same
// directory on v2 and when v1 mounts cpu and cpuacct together).
struct CpuGroupPlacement {
    CgroupHierarchy cpu;
    std::optional<CgroupHierarchy> cpuacct;
    std::filesystem::path cpu_dir;
    std::filesystem::path acct_dir; // empty without a cpuacct hierarchy
};

// A CpuLimiter's place: the layout found, and <base>/<daemon> in each hierarchy.
struct CpuLimiterPlacement {
    CgroupLayout layout;
    bool delegated = false;       // <base>/<daemon> is the unit's own group (systemd Delegate=yes)
    std::string daemon_path;      // in the cpu hierarchy
    std::string acct_daemon_path; // in the cpuacct hierarchy
};

} // namespace azcm::platform
