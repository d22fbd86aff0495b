// process_group.hpp on Windows, where a process group is a Job Object. runChildProcess puts each
// child, before it runs, into a job named after the child's pid and start time, and every process
// the child starts is in that job too. The job outlives its first process while any member runs,
// so it is the group: alive while it has active processes, killed by TerminateJobObject. The
// start time in the name is what a pid alone cannot be on Windows: unique, since Windows reuses a
// pid as soon as its process is gone, even while processes it started run on.
#include "common/platform/process_group.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>

#include <windows.h>

namespace azcm::platform {

namespace windows {

// The name of the job runChildProcess makes for the child `leader` that started at
// `leader_start` (processStartTime). In the global namespace: the daemon that finds a leftover
// after a restart may run in another session than the one that started it.
std::wstring processGroupJobName(ProcessId leader, unsigned long long leader_start) {
    return L"Global\\azcm-process-group-" + std::to_wstring(leader) + L"-" +
           std::to_wstring(leader_start);
}

} // namespace windows

namespace {

struct HandleCloser {
    void operator()(HANDLE handle) const { ::CloseHandle(handle); }
};
using UniqueHandle = std::unique_ptr<std::remove_pointer_t<HANDLE>, HandleCloser>;

UniqueHandle openGroupJob(ProcessId group, unsigned long long leader_start, DWORD access) {
    if (group <= 0 || leader_start == 0) {
        return nullptr;
    }
    return UniqueHandle(
        ::OpenJobObjectW(access, FALSE, windows::processGroupJobName(group, leader_start).c_str()));
}

bool jobHasActiveProcesses(HANDLE job) {
    JOBOBJECT_BASIC_ACCOUNTING_INFORMATION accounting{};
    return ::QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &accounting,
                                       sizeof accounting, nullptr) != FALSE &&
           accounting.ActiveProcesses > 0;
}

// The start time processGroupAlive last confirmed for a group. killProcessGroup is given the
// group's pid only, and once the leader has exited its start time cannot be read back; the caller
// asks whether a group is alive before it kills it, so the time is at hand here.
std::mutex confirmed_mutex;
std::map<ProcessId, unsigned long long> confirmed_start_times;

unsigned long long knownStartTime(ProcessId group) {
    if (const auto leader = processStartTime(group); leader != 0) {
        // The leader still runs: its own start time names the job (a pid reused by another
        // process names no job of ours, so nothing is killed).
        return leader;
    }
    const std::lock_guard lock(confirmed_mutex);
    const auto found = confirmed_start_times.find(group);
    return found == confirmed_start_times.end() ? 0 : found->second;
}

} // namespace

unsigned long long processStartTime(ProcessId pid) {
    if (pid <= 0) {
        return 0;
    }
    const UniqueHandle process(
        ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid)));
    if (!process) {
        return 0;
    }
    DWORD exit_code = 0;
    if (::GetExitCodeProcess(process.get(), &exit_code) == FALSE || exit_code != STILL_ACTIVE) {
        return 0; // an exited process whose handle someone still holds is no longer that pid's
    }
    FILETIME created{};
    FILETIME exited{};
    FILETIME kernel{};
    FILETIME user{};
    if (::GetProcessTimes(process.get(), &created, &exited, &kernel, &user) == FALSE) {
        return 0;
    }
    // 100 ns intervals since 1601: unique per pid, as the clock ticks since boot are on Linux.
    return (static_cast<unsigned long long>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
}

bool processGroupAlive(ProcessId group, unsigned long long leader_start) {
    // Without the leader's start time no job can be named: a pid alone may be anyone's now.
    const auto job = openGroupJob(group, leader_start, JOB_OBJECT_QUERY);
    if (!job || !jobHasActiveProcesses(job.get())) {
        return false;
    }
    const std::lock_guard lock(confirmed_mutex);
    confirmed_start_times[group] = leader_start;
    return true;
}

void killProcessGroup(ProcessId group, std::chrono::milliseconds wait) {
    const auto job =
        openGroupJob(group, knownStartTime(group), JOB_OBJECT_TERMINATE | JOB_OBJECT_QUERY);
    if (!job) {
        return;
    }
    ::TerminateJobObject(job.get(), ERROR_PROCESS_ABORTED);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (jobHasActiveProcesses(job.get()) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::lock_guard lock(confirmed_mutex);
    confirmed_start_times.erase(group);
}

} // namespace azcm::platform
