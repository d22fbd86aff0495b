// CPU caps with cgroups: v2 cpu.max, v1 cpu.cfs_quota_us/cpu.cfs_period_us (also when cpuacct is
// a separate hierarchy, and in the hybrid layout). Layout rationale in cgroup_layout.hpp.
#include "common/paths/paths.hpp"
#include "common/platform/child_environment.hpp"
#include "common/platform/linux/cgroup_files.hpp"
#include "common/platform/linux/cgroup_layout.hpp"
#include "common/platform/system_error_text.hpp"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

namespace stdfs = std::filesystem;

std::string joinPath(const std::string& parent, const std::string& child) {
    return parent == "/" ? "/" + child : parent + "/" + child;
}

std::string parentPath(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

bool endsWith(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// systemd marks groups it delegated with trusted.delegate=1 (user.delegate=1 for user managers).
bool hasDelegateMark(const stdfs::path& dir) {
    for (const char* name : {"trusted.delegate", "user.delegate"}) {
        char value[4] = {};
        const auto size = ::getxattr(dir.c_str(), name, value, sizeof(value));
        if (size >= 1 && value[0] == '1') {
            return true;
        }
    }
    return false;
}

// The process's own unit group is ours to subdivide when systemd delegated it. Root can write
// every group, so for root only systemd's delegation mark counts; for another user, write access
// to its unit's group exists only through delegation (systemd chowns the group to User=).
bool delegatedToUs(const CgroupHierarchy& hierarchy) {
    const auto& current = hierarchy.process_path;
    if (current == "/" || !(endsWith(current, ".service") || endsWith(current, ".scope"))) {
        return false;
    }
    const auto dir = hierarchy.dirOf(current);
    if (!cgroupfs::writable(dir) || !cgroupfs::writable(dir / "cgroup.procs")) {
        return false;
    }
    return ::geteuid() != 0 || hasDelegateMark(dir);
}

std::string
daemonPathIn(const CgroupHierarchy& hierarchy, bool delegated, const CpuLimiterOptions& options) {
    if (delegated) {
        return hierarchy.process_path;
    }
    std::string base = options.cgroup_root;
    if (base.empty()) {
        base =
            joinPath(parentPath(hierarchy.process_path), defaultCgroupBaseName(options.agent_root));
    } else if (base.front() != '/') {
        base = "/" + base;
    }
    return joinPath(base, options.daemon_name);
}

// Write access where the groups will be created: the deepest directory that exists already.
std::optional<std::string> cannotCreateUnder(const stdfs::path& dir) {
    auto existing = dir;
    std::error_code ignored;
    while (!stdfs::exists(existing, ignored) && existing.has_relative_path()) {
        existing = existing.parent_path();
    }
    if (!cgroupfs::writable(existing)) {
        return existing.string() + " is not writable by uid " + std::to_string(::geteuid());
    }
    return std::nullopt;
}

Result<void> makeDirectories(const stdfs::path& dir) {
    std::error_code error;
    stdfs::create_directories(dir, error);
    if (error) {
        return makeError(exitcode::kGeneric,
                         "cannot create " + dir.string() + ": " + error.message());
    }
    return ok();
}

// cgroup v2: a group has cpu.max only when every ancestor lists cpu in cgroup.subtree_control.
Result<void> enableCpuController(const CgroupHierarchy& hierarchy, const std::string& leaf) {
    std::vector<std::string> ancestors;
    for (auto path = parentPath(leaf);; path = parentPath(path)) {
        ancestors.insert(ancestors.begin(), path);
        if (path == "/" || path == hierarchy.mount_root) {
            break;
        }
    }
    for (const auto& path : ancestors) {
        const auto control = hierarchy.dirOf(path) / "cgroup.subtree_control";
        const auto enabled = cgroupfs::readText(control);
        if (!enabled) {
            return enabled.error();
        }
        std::istringstream names(enabled.value());
        bool has_cpu = false;
        for (std::string name; names >> name;) {
            has_cpu = has_cpu || name == "cpu";
        }
        if (has_cpu) {
            continue;
        }
        auto written = cgroupfs::writeText(control, "+cpu");
        if (!written) {
            return std::move(written).error();
        }
    }
    return ok();
}

Result<void> removeDirectory(const stdfs::path& dir) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) {
        return ok();
    }
    const int error = errno;
    if (error == EBUSY || error == ENOTEMPTY) {
        return makeError(exitcode::kGeneric,
                         "cannot remove " + dir.string() + ": processes or groups are still in it");
    }
    return makeError(exitcode::kGeneric,
                     "cannot remove " + dir.string() + ": " + systemErrorText(error));
}

} // namespace

// ---- CpuGroup -----------------------------------------------------------------------------------

Result<void> CpuGroup::attach(ProcessId pid) {
    if (!placement_) {
        return ok(); // not enforced: the reason is in enforcement()
    }
    const auto& place = *placement_;
    const auto text = std::to_string(pid);
    auto moved = cgroupfs::writeText(place.cpu_dir / "cgroup.procs", text);
    if (!moved) {
        return moved;
    }
    if (!place.acct_dir.empty() && place.acct_dir != place.cpu_dir) {
        moved = cgroupfs::writeText(place.acct_dir / "cgroup.procs", text);
        if (!moved) {
            return moved;
        }
    }
    // cgroup v2 in a delegated unit: +cpu could not be enabled while the daemon still sat in the
    // unit's group; now that it is in its leaf, try again and apply the cap asked for meanwhile.
    if (!enforcement_.enforced && place.cpu.version == CgroupVersion::kV2 &&
        enableCpuController(place.cpu, path_) && stdfs::exists(place.cpu_dir / "cpu.max")) {
        enforcement_ = {true, {}};
        if (applied_) {
            return cgroupfs::writeText(place.cpu_dir / "cpu.max", formatCpuMax(*applied_));
        }
    }
    return ok();
}

Result<void> CpuGroup::setQuotaPercent(std::optional<unsigned> percent) {
    const auto quota = quotaForPercent(percent);
    applied_ = quota;
    if (!enforcement_.enforced) {
        return ok();
    }
    const auto& place = *placement_;
    if (place.cpu.version == CgroupVersion::kV2) {
        return cgroupfs::writeText(place.cpu_dir / "cpu.max", formatCpuMax(quota));
    }
    // v1: the period first, so a quota is never judged against an old period.
    auto written =
        cgroupfs::writeText(place.cpu_dir / "cpu.cfs_period_us", std::to_string(quota.period_us));
    if (!written) {
        return written;
    }
    return cgroupfs::writeText(place.cpu_dir / "cpu.cfs_quota_us", formatCfsQuota(quota));
}

Result<CpuQuota> CpuGroup::readQuota() const {
    if (!enforcement_.enforced) {
        return makeError(exitcode::kGeneric, enforcement_.describe());
    }
    const auto& place = *placement_;
    if (place.cpu.version == CgroupVersion::kV2) {
        const auto text = cgroupfs::readText(place.cpu_dir / "cpu.max");
        if (!text) {
            return text.error();
        }
        return parseCpuMax(text.value());
    }
    const auto quota_text = cgroupfs::readText(place.cpu_dir / "cpu.cfs_quota_us");
    const auto period_text = cgroupfs::readText(place.cpu_dir / "cpu.cfs_period_us");
    if (!quota_text || !period_text) {
        return (quota_text ? period_text : quota_text).error();
    }
    const auto quota_value = std::strtoll(quota_text.value().c_str(), nullptr, 10);
    CpuQuota quota;
    quota.period_us = std::strtoll(period_text.value().c_str(), nullptr, 10);
    if (quota_value > 0) {
        quota.quota_us = quota_value;
    }
    return quota;
}

Result<CpuSample> CpuGroup::sample() const {
    if (!enforcement_.enforced) {
        return makeError(exitcode::kGeneric, enforcement_.describe());
    }
    const auto& place = *placement_;
    CpuSample sample;
    const auto cpu_stat = cgroupfs::readText(place.cpu_dir / "cpu.stat");
    if (!cpu_stat) {
        return cpu_stat.error();
    }
    if (place.cpu.version == CgroupVersion::kV2) {
        sample.at = std::chrono::steady_clock::now();
        sample.usage_ns = cgroupfs::statValue(cpu_stat.value(), "usage_usec") * 1000;
        sample.throttled_ns = cgroupfs::statValue(cpu_stat.value(), "throttled_usec") * 1000;
    } else {
        if (place.acct_dir.empty()) {
            return makeError(exitcode::kGeneric,
                             "no cpuacct hierarchy: usage of " + path_ + " is not accounted");
        }
        const auto usage = cgroupfs::readText(place.acct_dir / "cpuacct.usage");
        sample.at = std::chrono::steady_clock::now();
        if (!usage) {
            return usage.error();
        }
        sample.usage_ns = std::strtoull(usage.value().c_str(), nullptr, 10);
        sample.throttled_ns = cgroupfs::statValue(cpu_stat.value(), "throttled_time");
    }
    sample.nr_throttled = cgroupfs::statValue(cpu_stat.value(), "nr_throttled");
    return sample;
}

Result<void> CpuGroup::remove() {
    if (!placement_) {
        return ok();
    }
    const auto& place = *placement_;
    auto removed = removeDirectory(place.cpu_dir);
    if (!removed) {
        return removed;
    }
    if (!place.acct_dir.empty() && place.acct_dir != place.cpu_dir) {
        return removeDirectory(place.acct_dir);
    }
    return ok();
}

// ---- CpuLimiter ---------------------------------------------------------------------------------

CpuLimiter::CpuLimiter(CpuLimiterOptions options)
    : options_(std::move(options)), placement_(std::make_shared<CpuLimiterPlacement>()) {
    auto& place = *placement_;
    place.layout = detectCgroupLayout(options_.root_prefix);
    const auto& layout = place.layout;
    if (!layout.cpu) {
        enforcement_ = {false, layout.problem};
        return;
    }
    place.delegated =
        delegatedToUs(*layout.cpu) &&
        (!layout.separateAccounting() || (layout.cpuacct && delegatedToUs(*layout.cpuacct)));
    place.daemon_path = daemonPathIn(*layout.cpu, place.delegated, options_);
    place.acct_daemon_path =
        layout.cpuacct ? daemonPathIn(*layout.cpuacct, place.delegated, options_) : std::string();

    if (auto problem = cannotCreateUnder(layout.cpu->dirOf(place.daemon_path))) {
        enforcement_ = {false, *problem};
        return;
    }
    if (layout.separateAccounting()) {
        if (auto problem = cannotCreateUnder(layout.cpuacct->dirOf(place.acct_daemon_path))) {
            enforcement_ = {false, *problem};
            return;
        }
    }
    enforcement_ = {true, {}};
}

CpuLimiter CpuLimiter::fromEnvironment(const std::string& daemon_name) {
    CpuLimiterOptions options;
    options.daemon_name = daemon_name;
    options.agent_root = Paths::fromEnvironment().root();
    if (auto root = environmentVariable("AZCM_CGROUP_ROOT")) {
        options.cgroup_root = std::move(*root);
    }
    return CpuLimiter(std::move(options));
}

CpuGroup CpuLimiter::daemonGroup() {
    return makeGroup("self");
}

CpuGroup CpuLimiter::extensionGroup(const std::string& name) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
        CpuGroup group;
        group.enforcement_ = {false, "'" + name + "' is not a valid group name"};
        return group;
    }
    return makeGroup("ext/" + name);
}

CpuGroup CpuLimiter::makeGroup(const std::string& relative) {
    const auto& limiter = *placement_;
    CpuGroup group;
    group.path_ = joinPath(limiter.daemon_path, relative);
    group.enforcement_ = enforcement_;
    if (!enforcement_.enforced) {
        return group;
    }
    const auto& cpu = *limiter.layout.cpu;
    const auto cpu_dir = cpu.dirOf(group.path_);
    if (auto made = makeDirectories(cpu_dir); !made) {
        group.enforcement_ = {false, made.error().message};
        return group;
    }
    auto place = std::make_shared<CpuGroupPlacement>();
    place->cpu = cpu;
    place->cpu_dir = cpu_dir;
    group.placement_ = place;
    if (limiter.layout.cpuacct) {
        place->cpuacct = limiter.layout.cpuacct;
        place->acct_dir =
            limiter.layout.cpuacct->dirOf(joinPath(limiter.acct_daemon_path, relative));
        if (place->acct_dir != cpu_dir) {
            if (auto made = makeDirectories(place->acct_dir); !made) {
                group.enforcement_ = {false, made.error().message};
                return group;
            }
        }
    }
    if (cpu.version == CgroupVersion::kV2) {
        if (auto enabled = enableCpuController(cpu, group.path_); !enabled) {
            group.enforcement_ = {false, "cpu controller not enabled: " + enabled.error().message};
            return group;
        }
    }
    const char* quota_file = cpu.version == CgroupVersion::kV2 ? "cpu.max" : "cpu.cfs_quota_us";
    std::error_code ignored;
    if (!stdfs::exists(cpu_dir / quota_file, ignored)) {
        group.enforcement_ = {false,
                              "cpu controller missing: no " + (cpu_dir / quota_file).string()};
        return group;
    }
    if (!cgroupfs::writable(cpu_dir / quota_file)) {
        group.enforcement_ = {false, (cpu_dir / quota_file).string() + " is not writable by uid " +
                                         std::to_string(::geteuid())};
    }
    return group;
}

Result<void> CpuLimiter::removeDaemonTree() {
    const auto& place = *placement_;
    if (!place.layout.cpu || place.daemon_path.empty()) {
        return ok();
    }
    std::vector<std::pair<const CgroupHierarchy*, std::string>> trees{
        {&*place.layout.cpu, place.daemon_path}};
    if (place.layout.separateAccounting()) {
        trees.emplace_back(&*place.layout.cpuacct, place.acct_daemon_path);
    }
    for (const auto& [hierarchy, daemon_path] : trees) {
        const auto daemon_dir = hierarchy->dirOf(daemon_path);
        std::error_code ignored;
        for (const auto& entry : stdfs::directory_iterator(daemon_dir / "ext", ignored)) {
            if (entry.is_directory(ignored)) {
                if (auto removed = removeDirectory(entry.path()); !removed) {
                    return removed;
                }
            }
        }
        for (const auto& dir : {daemon_dir / "ext", daemon_dir / "self"}) {
            if (auto removed = removeDirectory(dir); !removed) {
                return removed;
            }
        }
        if (!place.delegated) {
            if (auto removed = removeDirectory(daemon_dir); !removed) {
                return removed;
            }
        }
    }
    return ok();
}

} // namespace azcm::platform
