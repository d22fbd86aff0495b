#pragma once
// The few Win32 Job Object calls the CPU caps make, behind an interface so that the caps' logic can
// be tested against a fake (wine does not implement CPU-rate control, so the real calls cannot
// show it there). win32JobObjectApi() is the real one.
//
// The interface speaks in our own types, not Win32's: no Windows header is needed to use or fake
// it, and every failure is a Result whose message names the call and the Win32 error text and
// number, e.g. "SetInformationJobObject(JobObjectCpuRateControlInformation) failed: The parameter
// is incorrect. (error 87)".
#include "common/error.hpp"
#include "common/platform/os_types.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace azcm::platform::windows {

// JOB_OBJECT_CPU_RATE_CONTROL_*: CpuRate is in hundredths of a percent of the whole machine.
inline constexpr std::uint32_t kMaxJobCpuRate = 10'000;

// How a job is created.
struct JobLimits {
    // Empty: an unnamed job, reachable only through the handle its creator holds. A name puts the
    // job in the object namespace, where anyone the default security descriptor admits can open it.
    std::string name;
    // JOB_OBJECT_LIMIT_BREAKAWAY_OK: a process in the job may start children outside it
    // (CREATE_BREAKAWAY_FROM_JOB).
    bool breakaway_ok = false;
    // JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: closing the job's last handle terminates its processes.
    bool kill_on_job_close = false;

    friend bool operator==(const JobLimits&, const JobLimits&) = default;
};

// JOBOBJECT_BASIC_ACCOUNTING_INFORMATION, the fields the caps read. Times are the totals of every
// process that has been in the job, including those that have exited, in 100 ns units.
struct JobAccounting {
    std::uint64_t total_user_time_100ns = 0;
    std::uint64_t total_kernel_time_100ns = 0;
    std::uint32_t active_processes = 0;
    std::uint32_t total_processes = 0;
};

// One open job; destroying it closes the handle (with kill_on_job_close, that terminates the
// job's processes when no other handle is open).
class JobObject {
public:
    virtual ~JobObject() = default;

    // AssignProcessToJobObject on a handle opened with PROCESS_SET_QUOTA | PROCESS_TERMINATE, the
    // rights the call needs and no more.
    virtual Result<void> assignProcess(ProcessId pid) = 0;
    // SetInformationJobObject(JobObjectCpuRateControlInformation): a hard cap of `rate`
    // (1..kMaxJobCpuRate) with JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | _HARD_CAP, or no rate control
    // (ControlFlags 0) for nullopt.
    virtual Result<void> setCpuRate(std::optional<std::uint32_t> rate) = 0;
    // QueryInformationJobObject(JobObjectCpuRateControlInformation): the hard cap in force, nullopt
    // when rate control is off (or is not a hard cap, which these caps never set).
    virtual Result<std::optional<std::uint32_t>> cpuRate() const = 0;
    // QueryInformationJobObject(JobObjectBasicAccountingInformation).
    virtual Result<JobAccounting> accounting() const = 0;
    // TerminateJobObject: ends every process in the job with `exit_code`.
    virtual Result<void> terminate(std::uint32_t exit_code) = 0;
};

class JobObjectApi {
public:
    virtual ~JobObjectApi() = default;

    // CreateJobObjectW, then SetInformationJobObject(JobObjectExtendedLimitInformation) when
    // `limits` asks for a flag. A job whose limits cannot be set is closed, not returned.
    virtual Result<std::unique_ptr<JobObject>> createJob(const JobLimits& limits) = 0;
    // GetActiveProcessorCount(ALL_PROCESSOR_GROUPS): the CPUs a CpuRate is a share of; at least 1.
    virtual unsigned logicalCpuCount() const = 0;
};

// The real Win32 calls.
std::shared_ptr<JobObjectApi> win32JobObjectApi();

} // namespace azcm::platform::windows
