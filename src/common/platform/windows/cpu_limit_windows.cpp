// CPU caps with job objects (layout and rationale in job_layout.hpp).
#include "common/platform/windows/job_layout.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

namespace azcm::platform {

namespace windows {

namespace {

// The api of the next CpuLimiter constructed on this thread, handed over by makeJobCpuLimiter():
// CpuLimiter's only constructor takes the options alone.
thread_local std::shared_ptr<JobObjectApi> api_for_next_limiter;

// Job CPU times are in 100 ns units.
constexpr std::uint64_t kNsPer100Ns = 100;

} // namespace

std::optional<std::uint32_t> jobCpuRateForPercent(std::optional<unsigned> percent,
                                                  unsigned logical_cpus) {
    if (!percent) {
        return std::nullopt;
    }
    const std::uint64_t cpus = std::max(logical_cpus, 1U);
    const std::uint64_t rate = (static_cast<std::uint64_t>(*percent) * 100 + cpus / 2) / cpus;
    return static_cast<std::uint32_t>(
        std::clamp<std::uint64_t>(rate, 1, static_cast<std::uint64_t>(kMaxJobCpuRate)));
}

CpuQuota quotaForJobCpuRate(std::optional<std::uint32_t> rate, unsigned logical_cpus) {
    CpuQuota quota;
    if (rate) {
        const std::int64_t cpus = std::max(logical_cpus, 1U);
        quota.quota_us = static_cast<std::int64_t>(*rate) * cpus * quota.period_us / kMaxJobCpuRate;
    }
    return quota;
}

CpuLimiter makeJobCpuLimiter(CpuLimiterOptions options, std::shared_ptr<JobObjectApi> api) {
    struct HandOver {
        explicit HandOver(std::shared_ptr<JobObjectApi> handed) {
            api_for_next_limiter = std::move(handed);
        }
        HandOver(const HandOver&) = delete;
        HandOver& operator=(const HandOver&) = delete;
        // The constructor took it; if it threw first, the next limiter must not find it.
        ~HandOver() { api_for_next_limiter.reset(); }
    } hand_over(std::move(api));
    return CpuLimiter(std::move(options));
}

} // namespace windows

namespace {

Error jobRemoved(const std::string& path) {
    return makeError(exitcode::kGeneric, "the job of " + path + " was removed");
}

} // namespace

// ---- CpuGroup -----------------------------------------------------------------------------------

Result<void> CpuGroup::attach(ProcessId pid) {
    if (!placement_) {
        return ok(); // not enforced: the reason is in enforcement()
    }
    std::lock_guard lock(placement_->mutex);
    if (!placement_->job) {
        return jobRemoved(path_);
    }
    return placement_->job->assignProcess(pid);
}

Result<void> CpuGroup::setQuotaPercent(std::optional<unsigned> percent) {
    if (!placement_ || !enforcement_.enforced) {
        applied_ = quotaForPercent(percent); // remembered; nothing is written
        return ok();
    }
    const auto cpus = placement_->logical_cpus;
    const auto rate = windows::jobCpuRateForPercent(percent, cpus);
    std::lock_guard lock(placement_->mutex);
    if (!placement_->job) {
        return jobRemoved(path_);
    }
    if (auto set = placement_->job->setCpuRate(rate); !set) {
        // The call is refused (wine: error 87 for every CPU-rate request): the cap is not in
        // force, and the status says why, as for a cgroup without the cpu controller.
        enforcement_ = {false, set.error().message};
        applied_ = quotaForPercent(percent);
        return std::move(set).error();
    }
    // What the job enforces after rounding to its unit, so appliedQuota() equals readQuota().
    applied_ = windows::quotaForJobCpuRate(rate, cpus);
    return ok();
}

Result<CpuQuota> CpuGroup::readQuota() const {
    if (!placement_ || !enforcement_.enforced) {
        return makeError(exitcode::kGeneric, enforcement_.describe());
    }
    std::lock_guard lock(placement_->mutex);
    if (!placement_->job) {
        return jobRemoved(path_);
    }
    auto rate = placement_->job->cpuRate();
    if (!rate) {
        return std::move(rate).error();
    }
    return windows::quotaForJobCpuRate(rate.value(), placement_->logical_cpus);
}

// Windows keeps no throttling counters for a job (how long or how often the hard cap held its
// threads back), so throttled_ns and nr_throttled stay 0.
Result<CpuSample> CpuGroup::sample() const {
    if (!placement_ || !enforcement_.enforced) {
        return makeError(exitcode::kGeneric, enforcement_.describe());
    }
    std::lock_guard lock(placement_->mutex);
    if (!placement_->job) {
        return jobRemoved(path_);
    }
    auto accounting = placement_->job->accounting();
    if (!accounting) {
        return std::move(accounting).error();
    }
    CpuSample sample;
    sample.at = std::chrono::steady_clock::now();
    const auto& times = accounting.value();
    sample.usage_ns =
        (times.total_user_time_100ns + times.total_kernel_time_100ns) * windows::kNsPer100Ns;
    return sample;
}

// Closing the last handle destroys an empty job; a job with processes would live on out of our
// reach (or, for a handler's job, terminate them), so, as rmdir of a cgroup, this refuses then.
Result<void> CpuGroup::remove() {
    if (!placement_) {
        return ok();
    }
    std::lock_guard lock(placement_->mutex);
    if (!placement_->job) {
        return ok(); // removed already (through another copy)
    }
    auto accounting = placement_->job->accounting();
    if (!accounting) {
        return makeError(exitcode::kGeneric,
                         "cannot remove " + path_ + ": " + accounting.error().message);
    }
    if (const auto active = accounting.value().active_processes; active != 0) {
        return makeError(exitcode::kGeneric, "cannot remove " + path_ + ": " +
                                                 std::to_string(active) +
                                                 " processes are still in it");
    }
    placement_->job.reset();
    return ok();
}

// ---- CpuLimiter ---------------------------------------------------------------------------------

// options_.root_prefix and options_.cgroup_root place cgroups: Linux only, not read here. Neither
// is agent_root: unnamed jobs of sandboxes running at once cannot meet.
CpuLimiter::CpuLimiter(CpuLimiterOptions options)
    : options_(std::move(options)), placement_(std::make_shared<CpuLimiterPlacement>()) {
    auto& place = *placement_;
    place.api = std::exchange(windows::api_for_next_limiter, nullptr);
    if (!place.api) {
        place.api = windows::win32JobObjectApi();
    }
    place.logical_cpus = std::max(place.api->logicalCpuCount(), 1U);

    // Whether this system caps jobs at all (Windows 8 and later; not wine): a throwaway empty
    // job gets the weakest hard cap, and vanishes with its handle.
    auto probe = place.api->createJob({});
    if (!probe) {
        enforcement_ = {false, "cannot create a job object: " + probe.error().message};
        return;
    }
    if (auto capped = probe.value()->setCpuRate(windows::kMaxJobCpuRate); !capped) {
        enforcement_ = {false, "job CPU-rate control is unavailable: " + capped.error().message};
        return;
    }
    enforcement_ = {true, {}};
}

CpuLimiter CpuLimiter::fromEnvironment(const std::string& daemon_name) {
    CpuLimiterOptions options;
    options.daemon_name = daemon_name;
    return CpuLimiter(std::move(options));
}

CpuGroup CpuLimiter::daemonGroup() {
    return makeGroup("self");
}

CpuGroup CpuLimiter::extensionGroup(const std::string& name) {
    const bool one_component = !name.empty() && name != "." && name != ".." &&
                               name.find_first_of("\\/:") == std::string::npos;
    if (!one_component) {
        CpuGroup group;
        group.enforcement_ = {false, "'" + name + "' is not a valid group name"};
        return group;
    }
    return makeGroup("ext/" + name);
}

CpuGroup CpuLimiter::makeGroup(const std::string& relative) {
    auto& limiter = *placement_;
    CpuGroup group;
    group.path_ = "job:" + options_.daemon_name + "/" + relative;
    group.enforcement_ = enforcement_;
    if (!enforcement_.enforced) {
        return group;
    }
    std::lock_guard lock(limiter.mutex);
    auto& known = limiter.groups[group.path_];
    if (known) {
        std::lock_guard job_lock(known->mutex);
        if (known->job) {
            group.placement_ = known;
            return group;
        }
    }
    auto place = std::make_shared<CpuGroupPlacement>();
    place->logical_cpus = limiter.logical_cpus;
    if (relative == "self") {
        place->limits.breakaway_ok = true;
    } else {
        place->limits.kill_on_job_close = true;
    }
    auto job = limiter.api->createJob(place->limits);
    if (!job) {
        limiter.groups.erase(group.path_);
        group.enforcement_ = {false, job.error().message};
        return group;
    }
    place->job = std::move(job).value();
    known = place;
    group.placement_ = std::move(place);
    return group;
}

Result<void> CpuLimiter::removeDaemonTree() {
    auto& limiter = *placement_;
    std::lock_guard lock(limiter.mutex);
    // The handlers' jobs first, as their cgroups go before the daemon's on Linux.
    std::vector<std::string> order;
    for (const auto& [path, place] : limiter.groups) {
        if (path != "job:" + options_.daemon_name + "/self") {
            order.push_back(path);
        }
    }
    if (limiter.groups.count("job:" + options_.daemon_name + "/self") != 0) {
        order.push_back("job:" + options_.daemon_name + "/self");
    }
    for (const auto& path : order) {
        CpuGroup group;
        group.path_ = path;
        group.placement_ = limiter.groups.at(path);
        if (auto removed = group.remove(); !removed) {
            return removed;
        }
        limiter.groups.erase(path);
    }
    return ok();
}

} // namespace azcm::platform
