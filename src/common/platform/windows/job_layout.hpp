#pragma once
// CPU caps on Windows: one job object per group, capped with CPU-rate control (a hard cap) and
// accounted with the job's basic accounting.
//
//   job:<daemon>/self          the daemon itself; JOB_OBJECT_LIMIT_BREAKAWAY_OK, so the handlers
//                              it starts with CREATE_BREAKAWAY_FROM_JOB leave the daemon's job and
//                              their CPU never counts against the daemon's cap
//   job:<daemon>/ext/<name>    one job per extension handler; JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
//                              so a handler never outlives the daemon that confines it
//
// Not SILENT_BREAKAWAY_OK on the daemon's job: then every child would leave it unasked, also those
// that should stay capped with the daemon.
//
// The jobs are unnamed: a named job lives in the object namespace, where another user could open
// it (and, with JOB_OBJECT_ASSIGN_PROCESS or JOB_OBJECT_SET_ATTRIBUTES, move processes in or lift
// the cap). Nothing needs to find a job by name: the daemon that made a job holds its only handle.
// The "job:..." strings are names for status reports only.
//
// A job vanishes when its last handle is closed and no process is left in it. The limiter keeps
// the handle of every job it made, so daemonGroup() and extensionGroup() hand out the same job for
// the same name, as cgroups do; CpuGroup::remove() closes it, and refuses while a process is still
// in it (which closing would terminate, for a handler's job).
#include "common/platform/cpu_limit.hpp"
#include "common/platform/windows/job_object_api.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace azcm::platform {

namespace windows {

// Our cap is a percentage of ONE logical CPU; a job's CpuRate is hundredths of a percent of the
// whole machine: round(percent * 100 / logical_cpus), at least 1 (0 is not a valid CpuRate), at
// most kMaxJobCpuRate. nullopt (unlimited) -> nullopt (no rate control). 5% on 2 CPUs -> 250.
std::optional<std::uint32_t> jobCpuRateForPercent(std::optional<unsigned> percent,
                                                  unsigned logical_cpus);
// A CpuRate as the quota per kCpuPeriodUs it stands for: rate * logical_cpus * period / 10000.
CpuQuota quotaForJobCpuRate(std::optional<std::uint32_t> rate, unsigned logical_cpus);

// A limiter whose job calls go to `api` (tests: a fake); CpuLimiter(options) uses
// win32JobObjectApi().
CpuLimiter makeJobCpuLimiter(CpuLimiterOptions options, std::shared_ptr<JobObjectApi> api);

} // namespace windows

// A CpuGroup's job, shared by every copy of the group and by the limiter that made it.
struct CpuGroupPlacement {
    unsigned logical_cpus = 1;
    windows::JobLimits limits; // as the job was created

    // Copies of a group are used from several threads (the handler runner attaches while the
    // status path samples); remove() closes the job for all of them.
    mutable std::mutex mutex;
    mutable std::unique_ptr<windows::JobObject> job; // null once remove() closed it
};

// A CpuLimiter's Win32 access and the jobs it made, by group path.
struct CpuLimiterPlacement {
    std::shared_ptr<windows::JobObjectApi> api;
    unsigned logical_cpus = 1;

    std::mutex mutex; // guards groups
    std::map<std::string, std::shared_ptr<CpuGroupPlacement>> groups;
};

} // namespace azcm::platform
