// job_object_api.hpp with the Win32 calls.
#include "common/platform/windows/job_object_api.hpp"

#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <utility>

#include <windows.h>

namespace azcm::platform::windows {

namespace {

// The error of a failed call, read from GetLastError() right after it.
Error callFailed(const std::string& call) {
    const DWORD error = ::GetLastError();
    return makeError(exitcode::kGeneric, call + " failed: " + win32ErrorText(error));
}

std::uint64_t fromLargeInteger(const LARGE_INTEGER& value) {
    return value.QuadPart < 0 ? 0 : static_cast<std::uint64_t>(value.QuadPart);
}

class Win32JobObject final : public JobObject {
public:
    explicit Win32JobObject(OwnedHandle job) : job_(std::move(job)) {}

    Result<void> assignProcess(ProcessId pid) override {
        const OwnedHandle process(
            ::OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, FALSE, static_cast<DWORD>(pid)));
        if (!process.isOpen()) {
            return callFailed("OpenProcess(pid " + std::to_string(pid) + ")");
        }
        if (!::AssignProcessToJobObject(job_.get(), process.get())) {
            return callFailed("AssignProcessToJobObject(pid " + std::to_string(pid) + ")");
        }
        return ok();
    }

    Result<void> setCpuRate(std::optional<std::uint32_t> rate) override {
        JOBOBJECT_CPU_RATE_CONTROL_INFORMATION info{};
        if (rate) {
            info.ControlFlags =
                JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP;
            info.CpuRate = *rate;
        }
        if (!::SetInformationJobObject(job_.get(), JobObjectCpuRateControlInformation, &info,
                                       sizeof(info))) {
            return callFailed("SetInformationJobObject(JobObjectCpuRateControlInformation)");
        }
        return ok();
    }

    Result<std::optional<std::uint32_t>> cpuRate() const override {
        JOBOBJECT_CPU_RATE_CONTROL_INFORMATION info{};
        if (!::QueryInformationJobObject(job_.get(), JobObjectCpuRateControlInformation, &info,
                                         sizeof(info), nullptr)) {
            return callFailed("QueryInformationJobObject(JobObjectCpuRateControlInformation)");
        }
        constexpr DWORD kHardCap =
            JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP;
        if ((info.ControlFlags & kHardCap) != kHardCap ||
            (info.ControlFlags & JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED) != 0) {
            return std::optional<std::uint32_t>();
        }
        return std::optional<std::uint32_t>(info.CpuRate);
    }

    Result<JobAccounting> accounting() const override {
        JOBOBJECT_BASIC_ACCOUNTING_INFORMATION info{};
        if (!::QueryInformationJobObject(job_.get(), JobObjectBasicAccountingInformation, &info,
                                         sizeof(info), nullptr)) {
            return callFailed("QueryInformationJobObject(JobObjectBasicAccountingInformation)");
        }
        JobAccounting accounting;
        accounting.total_user_time_100ns = fromLargeInteger(info.TotalUserTime);
        accounting.total_kernel_time_100ns = fromLargeInteger(info.TotalKernelTime);
        accounting.active_processes = info.ActiveProcesses;
        accounting.total_processes = info.TotalProcesses;
        return accounting;
    }

    Result<void> terminate(std::uint32_t exit_code) override {
        if (!::TerminateJobObject(job_.get(), exit_code)) {
            return callFailed("TerminateJobObject");
        }
        return ok();
    }

private:
    OwnedHandle job_;
};

class Win32JobObjectApi final : public JobObjectApi {
public:
    Result<std::unique_ptr<JobObject>> createJob(const JobLimits& limits) override {
        const auto name = toWide(limits.name);
        if (!name) {
            return makeError(exitcode::kGeneric,
                             "job name '" + limits.name + "' is not valid UTF-8");
        }
        // Default security: the job's DACL is the creator's default one (SYSTEM, the owner), and
        // the handle is not inherited by children.
        OwnedHandle job(
            ::CreateJobObjectW(nullptr, name.value().empty() ? nullptr : name.value().c_str()));
        if (!job.isOpen()) {
            return callFailed("CreateJobObjectW");
        }
        if (!name.value().empty() && ::GetLastError() == ERROR_ALREADY_EXISTS) {
            // Someone else made (and may control) a job of that name: never adopt it.
            return makeError(exitcode::kGeneric,
                             "CreateJobObjectW: a job named '" + limits.name + "' already exists");
        }
        DWORD flags = 0;
        if (limits.breakaway_ok) {
            flags |= JOB_OBJECT_LIMIT_BREAKAWAY_OK;
        }
        if (limits.kill_on_job_close) {
            flags |= JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        }
        if (flags != 0) {
            JOBOBJECT_EXTENDED_LIMIT_INFORMATION info{};
            info.BasicLimitInformation.LimitFlags = flags;
            if (!::SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &info,
                                           sizeof(info))) {
                return callFailed("SetInformationJobObject(JobObjectExtendedLimitInformation)");
            }
        }
        return std::unique_ptr<JobObject>(std::make_unique<Win32JobObject>(std::move(job)));
    }

    unsigned logicalCpuCount() const override {
        const DWORD count = ::GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
        return count == 0 ? 1U : static_cast<unsigned>(count);
    }
};

} // namespace

std::shared_ptr<JobObjectApi> win32JobObjectApi() {
    return std::make_shared<Win32JobObjectApi>();
}

} // namespace azcm::platform::windows
