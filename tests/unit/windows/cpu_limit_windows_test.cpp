// CPU caps with job objects (platform/windows/job_layout.hpp): the limiter's and groups' logic
// against a fake JobObjectApi, and the real Win32 calls as far as wine honours them.
//
// What wine (8.0) does, so the real-API tests are right both there and on Windows: it creates
// jobs, assigns processes, sets the limit flags, answers the accounting query and terminates jobs,
// but refuses every JobObjectCpuRateControlInformation request with ERROR_INVALID_PARAMETER (87).
#include "common/platform/windows/job_layout.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <windows.h>

namespace azcm::platform {
namespace {

using windows::JobAccounting;
using windows::JobLimits;
using windows::JobObject;
using windows::JobObjectApi;

// ---- the fake -----------------------------------------------------------------------------------

// One job the fake made, kept by the test after the limiter let go of it.
struct FakeJobState {
    JobLimits limits;
    std::vector<ProcessId> assigned;
    std::vector<std::optional<std::uint32_t>> rate_requests;
    std::optional<std::uint32_t> rate; // in force
    JobAccounting accounting;
    bool closed = false;
    std::optional<Error> rate_error; // every setCpuRate fails with it
};

class FakeJob final : public JobObject {
public:
    explicit FakeJob(std::shared_ptr<FakeJobState> state) : state_(std::move(state)) {}
    ~FakeJob() override { state_->closed = true; }
    FakeJob(const FakeJob&) = delete;
    FakeJob& operator=(const FakeJob&) = delete;

    Result<void> assignProcess(ProcessId pid) override {
        state_->assigned.push_back(pid);
        ++state_->accounting.active_processes;
        return ok();
    }
    Result<void> setCpuRate(std::optional<std::uint32_t> rate) override {
        state_->rate_requests.push_back(rate);
        if (state_->rate_error) {
            return *state_->rate_error;
        }
        state_->rate = rate;
        return ok();
    }
    Result<std::optional<std::uint32_t>> cpuRate() const override { return state_->rate; }
    Result<JobAccounting> accounting() const override { return state_->accounting; }
    Result<void> terminate(std::uint32_t) override {
        state_->accounting.active_processes = 0;
        return ok();
    }

private:
    std::shared_ptr<FakeJobState> state_;
};

class FakeJobObjectApi final : public JobObjectApi {
public:
    explicit FakeJobObjectApi(unsigned cpus) : cpus_(cpus) {}

    Result<std::unique_ptr<JobObject>> createJob(const JobLimits& limits) override {
        if (create_error) {
            return *create_error;
        }
        auto state = std::make_shared<FakeJobState>();
        state->limits = limits;
        state->rate_error = rate_error;
        jobs.push_back(state);
        return std::unique_ptr<JobObject>(std::make_unique<FakeJob>(state));
    }
    unsigned logicalCpuCount() const override { return cpus_; }

    std::vector<std::shared_ptr<FakeJobState>> jobs; // in creation order; [0] is the probe
    std::optional<Error> create_error;
    std::optional<Error> rate_error; // for jobs created from now on

private:
    unsigned cpus_;
};

const Error kWineRateError{exitcode::kGeneric,
                           "SetInformationJobObject(JobObjectCpuRateControlInformation) failed: "
                           "Invalid parameter. (error 87)"};

struct Limiter {
    std::shared_ptr<FakeJobObjectApi> api;
    CpuLimiter limiter;
};

Limiter fakeLimiter(unsigned cpus = 2, std::optional<Error> rate_error = std::nullopt) {
    auto api = std::make_shared<FakeJobObjectApi>(cpus);
    api->rate_error = std::move(rate_error);
    CpuLimiterOptions options;
    options.daemon_name = "extd";
    auto limiter = windows::makeJobCpuLimiter(options, api);
    return {api, std::move(limiter)};
}

// ---- rate arithmetic ----------------------------------------------------------------------------

TEST(JobCpuRate, IsPercentOfOneCpuAsHundredthsOfAPercentOfTheMachine) {
    using windows::jobCpuRateForPercent;
    EXPECT_EQ(jobCpuRateForPercent(5, 2), 250U);
    EXPECT_EQ(jobCpuRateForPercent(100, 1), 10000U);
    EXPECT_EQ(jobCpuRateForPercent(60, 4), 1500U);
    EXPECT_EQ(jobCpuRateForPercent(1, 64), 2U);  // 1.5625 rounds to 2
    EXPECT_EQ(jobCpuRateForPercent(1, 8), 13U);  // 12.5 rounds up
    EXPECT_EQ(jobCpuRateForPercent(1, 300), 1U); // 0.33 would be 0: a rate is at least 1
    EXPECT_EQ(jobCpuRateForPercent(0, 2), 1U);
    EXPECT_EQ(jobCpuRateForPercent(200, 1), 10000U); // at most the whole machine
    EXPECT_EQ(jobCpuRateForPercent(4'000'000'000U, 1), 10000U);
    EXPECT_EQ(jobCpuRateForPercent(5, 0), 500U); // no CPU count: one CPU
    EXPECT_EQ(jobCpuRateForPercent(std::nullopt, 2), std::nullopt);
}

TEST(JobCpuRate, ReadsBackAsAQuotaPerPeriod) {
    using windows::quotaForJobCpuRate;
    EXPECT_EQ(quotaForJobCpuRate(250, 2), (CpuQuota{5000, kCpuPeriodUs}));
    EXPECT_EQ(quotaForJobCpuRate(10000, 1), (CpuQuota{100000, kCpuPeriodUs}));
    EXPECT_EQ(quotaForJobCpuRate(2, 64), (CpuQuota{1280, kCpuPeriodUs}));
    EXPECT_EQ(quotaForJobCpuRate(std::nullopt, 2), (CpuQuota{std::nullopt, kCpuPeriodUs}));
    for (unsigned percent : {5U, 50U, 100U, 150U}) {
        const auto rate = windows::jobCpuRateForPercent(percent, 2);
        EXPECT_EQ(quotaForJobCpuRate(rate, 2), quotaForPercent(percent)) << percent;
    }
}

// ---- the limiter against the fake ---------------------------------------------------------------

TEST(JobCpuLimiter, EnforcedWhenAThrowawayJobAcceptsAHardCap) {
    auto [api, limiter] = fakeLimiter();
    EXPECT_TRUE(limiter.enforcement().enforced);
    EXPECT_EQ(limiter.enforcement().describe(), "enforced");
    ASSERT_EQ(api->jobs.size(), 1U);
    const auto& probe = *api->jobs[0];
    EXPECT_EQ(probe.limits, JobLimits{});
    EXPECT_EQ(probe.rate_requests, (std::vector<std::optional<std::uint32_t>>{10000U}));
    EXPECT_TRUE(probe.closed);
    EXPECT_EQ(limiter.placement().logical_cpus, 2U);
}

TEST(JobCpuLimiter, NotEnforcedWithTheReasonWhenRateControlIsRefused) {
    auto [api, limiter] = fakeLimiter(2, kWineRateError);
    EXPECT_FALSE(limiter.enforcement().enforced);
    EXPECT_EQ(limiter.enforcement().describe(),
              "not enforced: job CPU-rate control is unavailable: " + kWineRateError.message);

    // Its groups say the same, make no job, write nothing and still remember the cap.
    auto group = limiter.extensionGroup("Microsoft.Azure.Monitor");
    EXPECT_FALSE(group.enforcement().enforced);
    EXPECT_EQ(group.enforcement().reason, limiter.enforcement().reason);
    EXPECT_EQ(group.placement(), nullptr);
    EXPECT_TRUE(group.attach(1234).has_value());
    EXPECT_TRUE(group.setQuotaPercent(5).has_value());
    EXPECT_EQ(group.appliedQuota(), quotaForPercent(5));
    ASSERT_FALSE(group.sample().has_value());
    EXPECT_EQ(group.sample().error().message, group.enforcement().describe());
    ASSERT_FALSE(group.readQuota().has_value());
    EXPECT_NE(group.readQuota().error().message.find("error 87"), std::string::npos);
    EXPECT_TRUE(group.remove().has_value());
    EXPECT_FALSE(limiter.daemonGroup().enforcement().enforced);
    EXPECT_EQ(api->jobs.size(), 1U); // the probe only
}

TEST(JobCpuLimiter, NotEnforcedWhenNoJobCanBeCreated) {
    auto api = std::make_shared<FakeJobObjectApi>(2);
    api->create_error = Error{exitcode::kGeneric, "CreateJobObjectW failed: Access is denied. "
                                                  "(error 5)"};
    CpuLimiter limiter = windows::makeJobCpuLimiter({}, api);
    EXPECT_EQ(limiter.enforcement().describe(),
              "not enforced: cannot create a job object: CreateJobObjectW failed: Access is "
              "denied. (error 5)");
}

TEST(JobCpuLimiter, OnlyTheLimiterMadeWithTheFakeUsesIt) {
    auto [api, limiter] = fakeLimiter();
    CpuLimiter real = CpuLimiter::fromEnvironment("gcad");
    real.daemonGroup();
    EXPECT_EQ(api->jobs.size(), 1U); // the first limiter's probe
}

TEST(JobCpuLimiter, TheDaemonsJobLetsHandlersBreakAway) {
    auto [api, limiter] = fakeLimiter();
    auto group = limiter.daemonGroup();
    EXPECT_TRUE(group.enforcement().enforced);
    EXPECT_EQ(group.path(), "job:extd/self");
    ASSERT_EQ(api->jobs.size(), 2U);
    EXPECT_EQ(api->jobs[1]->limits, (JobLimits{"", true, false})); // unnamed, BREAKAWAY_OK

    // The same job every time, as the same cgroup would be.
    auto again = limiter.daemonGroup();
    EXPECT_EQ(api->jobs.size(), 2U);
    EXPECT_EQ(again.placement(), group.placement());
}

TEST(JobCpuLimiter, EachHandlerHasAJobKilledWithItsLastHandle) {
    auto [api, limiter] = fakeLimiter();
    auto monitor = limiter.extensionGroup("Microsoft.Azure.Monitor");
    auto script = limiter.extensionGroup("Microsoft.CPlat.CustomScript");
    EXPECT_EQ(monitor.path(), "job:extd/ext/Microsoft.Azure.Monitor");
    ASSERT_EQ(api->jobs.size(), 3U);
    EXPECT_EQ(api->jobs[1]->limits, (JobLimits{"", false, true})); // unnamed, KILL_ON_JOB_CLOSE
    EXPECT_EQ(api->jobs[2]->limits, (JobLimits{"", false, true}));
    EXPECT_NE(monitor.placement(), script.placement());
    EXPECT_EQ(limiter.extensionGroup("Microsoft.Azure.Monitor").placement(), monitor.placement());
    EXPECT_EQ(api->jobs.size(), 3U);
}

TEST(JobCpuLimiter, RefusesHandlerNamesThatAreNotOneComponent) {
    auto [api, limiter] = fakeLimiter();
    for (const std::string name : {"", ".", "..", "a/b", "a\\b", "C:", "..\\x", "/"}) {
        auto group = limiter.extensionGroup(name);
        EXPECT_FALSE(group.enforcement().enforced) << name;
        EXPECT_EQ(group.enforcement().reason, "'" + name + "' is not a valid group name");
        EXPECT_EQ(group.placement(), nullptr);
    }
    EXPECT_EQ(api->jobs.size(), 1U); // the probe only
}

TEST(JobCpuLimiter, AGroupWhoseJobCannotBeMadeIsNotEnforced) {
    auto [api, limiter] = fakeLimiter();
    api->create_error = Error{exitcode::kGeneric, "CreateJobObjectW failed: quota (error 1816)"};
    auto group = limiter.extensionGroup("x");
    EXPECT_EQ(group.enforcement().describe(),
              "not enforced: CreateJobObjectW failed: quota (error 1816)");
    EXPECT_EQ(group.placement(), nullptr);
    api->create_error.reset();
    EXPECT_TRUE(limiter.extensionGroup("x").enforcement().enforced); // tried afresh
}

// ---- groups against the fake --------------------------------------------------------------------

TEST(JobCpuGroup, AttachAssignsTheProcessToTheJob) {
    auto [api, limiter] = fakeLimiter();
    auto group = limiter.extensionGroup("h");
    ASSERT_TRUE(group.attach(4242).has_value());
    EXPECT_EQ(api->jobs[1]->assigned, (std::vector<ProcessId>{4242}));
}

TEST(JobCpuGroup, SetsTheConvertedRateAndChangesItLive) {
    auto [api, limiter] = fakeLimiter(2);
    auto group = limiter.extensionGroup("h");
    const auto& job = *api->jobs[1];

    ASSERT_TRUE(group.setQuotaPercent(5).has_value());
    EXPECT_EQ(job.rate, 250U);
    EXPECT_EQ(group.readQuota().value(), (CpuQuota{5000, kCpuPeriodUs}));
    EXPECT_EQ(group.appliedQuota(), (CpuQuota{5000, kCpuPeriodUs}));

    ASSERT_TRUE(group.setQuotaPercent(60).has_value()); // a config reload
    EXPECT_EQ(job.rate, 3000U);
    EXPECT_EQ(group.readQuota().value(), (CpuQuota{60000, kCpuPeriodUs}));

    ASSERT_TRUE(group.setQuotaPercent(std::nullopt).has_value()); // unlimited: rate control off
    EXPECT_EQ(job.rate, std::nullopt);
    EXPECT_EQ(group.readQuota().value(), (CpuQuota{std::nullopt, kCpuPeriodUs}));
    EXPECT_EQ(job.rate_requests,
              (std::vector<std::optional<std::uint32_t>>{250U, 3000U, std::nullopt}));
}

TEST(JobCpuGroup, AppliedQuotaIsWhatTheJobEnforcesAfterRounding) {
    auto [api, limiter] = fakeLimiter(64);
    auto group = limiter.daemonGroup();
    ASSERT_TRUE(group.setQuotaPercent(1).has_value());
    EXPECT_EQ(api->jobs[1]->rate, 2U);
    EXPECT_EQ(group.appliedQuota(), (CpuQuota{1280, kCpuPeriodUs}));
    EXPECT_EQ(group.readQuota().value(), group.appliedQuota());
}

TEST(JobCpuGroup, ARefusedRateLeavesTheGroupNotEnforcedWithTheCall) {
    auto [api, limiter] = fakeLimiter();
    api->rate_error = kWineRateError; // the probe passed; this job refuses
    auto group = limiter.extensionGroup("h");
    ASSERT_TRUE(group.enforcement().enforced);

    auto set = group.setQuotaPercent(5);
    ASSERT_FALSE(set.has_value());
    EXPECT_EQ(set.error().message, kWineRateError.message);
    EXPECT_EQ(group.enforcement().describe(), "not enforced: " + kWineRateError.message);
    EXPECT_EQ(group.appliedQuota(), quotaForPercent(5));

    // From now on the cap is remembered, not sent again.
    EXPECT_TRUE(group.setQuotaPercent(10).has_value());
    EXPECT_EQ(api->jobs[1]->rate_requests.size(), 1U);
    EXPECT_EQ(group.appliedQuota(), quotaForPercent(10));
    EXPECT_FALSE(group.sample().has_value());
}

TEST(JobCpuGroup, SampleIsUserPlusKernelTimeInNanoseconds) {
    auto [api, limiter] = fakeLimiter();
    auto group = limiter.extensionGroup("h");
    api->jobs[1]->accounting.total_user_time_100ns = 30;
    api->jobs[1]->accounting.total_kernel_time_100ns = 20;
    const auto before = std::chrono::steady_clock::now();
    const auto sample = group.sample();
    ASSERT_TRUE(sample.has_value()) << sample.error().message;
    EXPECT_EQ(sample.value().usage_ns, 5000U);
    EXPECT_EQ(sample.value().throttled_ns, 0U); // Windows has no such counters
    EXPECT_EQ(sample.value().nr_throttled, 0U);
    EXPECT_GE(sample.value().at, before);
}

TEST(JobCpuGroup, RemoveRefusesWhileProcessesRemainThenClosesTheJob) {
    auto [api, limiter] = fakeLimiter();
    auto group = limiter.extensionGroup("h");
    auto copy = group; // e.g. the handler runner's
    ASSERT_TRUE(group.attach(7).has_value());

    auto refused = group.remove();
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().message, "cannot remove job:extd/ext/h: 1 processes are still in it");
    EXPECT_FALSE(api->jobs[1]->closed);

    api->jobs[1]->accounting.active_processes = 0; // the handler exited
    ASSERT_TRUE(group.remove().has_value());
    EXPECT_TRUE(api->jobs[1]->closed);
    EXPECT_TRUE(copy.remove().has_value()); // removed already
    ASSERT_FALSE(copy.attach(8).has_value());
    EXPECT_EQ(copy.attach(8).error().message, "the job of job:extd/ext/h was removed");
    EXPECT_FALSE(copy.setQuotaPercent(5).has_value());
    EXPECT_FALSE(copy.sample().has_value());

    // The handler comes back: a new job.
    auto fresh = limiter.extensionGroup("h");
    ASSERT_EQ(api->jobs.size(), 3U);
    EXPECT_NE(fresh.placement(), group.placement());
    EXPECT_TRUE(fresh.attach(9).has_value());
    EXPECT_EQ(api->jobs[2]->assigned, (std::vector<ProcessId>{9}));
}

TEST(JobCpuLimiter, RemoveDaemonTreeClosesEmptyJobsAndRefusesAnOccupiedOne) {
    auto [api, limiter] = fakeLimiter();
    auto self = limiter.daemonGroup();
    auto handler = limiter.extensionGroup("h");
    ASSERT_TRUE(self.attach(100).has_value());

    auto refused = limiter.removeDaemonTree();
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().message, "cannot remove job:extd/self: 1 processes are still in it");
    EXPECT_TRUE(api->jobs[2]->closed); // the handler's went first
    EXPECT_FALSE(api->jobs[1]->closed);

    api->jobs[1]->accounting.active_processes = 0;
    ASSERT_TRUE(limiter.removeDaemonTree().has_value());
    EXPECT_TRUE(api->jobs[1]->closed);
}

// ---- the real Win32 calls (under wine in CI) ----------------------------------------------------

std::wstring ownExecutable() {
    std::wstring path(MAX_PATH, L'\0');
    const DWORD length = ::GetModuleFileNameW(nullptr, path.data(), MAX_PATH);
    path.resize(length);
    return path;
}

// This test program started suspended with an argument main() never sees run; ends it on scope
// exit if the test did not.
class SuspendedChild {
public:
    // Out of this process's job, as the daemons start handlers; in it when that job allows no
    // breakaway (a test runner's job).
    SuspendedChild() {
        started_ = start(CREATE_BREAKAWAY_FROM_JOB) ||
                   (::GetLastError() == ERROR_ACCESS_DENIED && start(0));
    }
    SuspendedChild(const SuspendedChild&) = delete;
    SuspendedChild& operator=(const SuspendedChild&) = delete;
    ~SuspendedChild() {
        if (started_) {
            ::TerminateProcess(info_.hProcess, 1);
            ::CloseHandle(info_.hThread);
            ::CloseHandle(info_.hProcess);
        }
    }

    bool started() const { return started_; }
    ProcessId pid() const { return static_cast<ProcessId>(info_.dwProcessId); }
    // The exit code once it ended within `timeout_ms`; STILL_ACTIVE otherwise.
    DWORD exitCode(DWORD timeout_ms) const {
        ::WaitForSingleObject(info_.hProcess, timeout_ms);
        DWORD code = STILL_ACTIVE;
        ::GetExitCodeProcess(info_.hProcess, &code);
        return code;
    }

private:
    bool start(DWORD extra_flags) {
        std::wstring command_line = L"\"" + ownExecutable() + L"\" --gtest_list_tests";
        STARTUPINFOW startup{};
        startup.cb = sizeof(startup);
        return ::CreateProcessW(nullptr, command_line.data(), nullptr, nullptr, FALSE,
                                CREATE_SUSPENDED | CREATE_NO_WINDOW | extra_flags, nullptr, nullptr,
                                &startup, &info_) != 0;
    }

    bool started_ = false;
    PROCESS_INFORMATION info_{};
};

TEST(Win32JobObjects, CreatesAJobAssignsAChildAccountsAndTerminates) {
    auto api = windows::win32JobObjectApi();
    EXPECT_GE(api->logicalCpuCount(), 1U);
    auto job = api->createJob({"", false, true});
    ASSERT_TRUE(job.has_value()) << job.error().message;

    const auto empty = job.value()->accounting();
    ASSERT_TRUE(empty.has_value()) << empty.error().message;
    EXPECT_EQ(empty.value().active_processes, 0U);

    SuspendedChild child;
    ASSERT_TRUE(child.started()) << ::GetLastError();
    auto assigned = job.value()->assignProcess(child.pid());
    ASSERT_TRUE(assigned.has_value()) << assigned.error().message;
    const auto occupied = job.value()->accounting();
    ASSERT_TRUE(occupied.has_value()) << occupied.error().message;
    EXPECT_EQ(occupied.value().active_processes, 1U);
    EXPECT_EQ(occupied.value().total_processes, 1U);

    ASSERT_TRUE(job.value()->terminate(7).has_value());
    EXPECT_EQ(child.exitCode(10'000), 7U);
}

TEST(Win32JobObjects, KillOnJobCloseEndsTheChildWithTheLastHandle) {
    auto api = windows::win32JobObjectApi();
    SuspendedChild child;
    ASSERT_TRUE(child.started()) << ::GetLastError();
    {
        auto job = api->createJob({"", false, true});
        ASSERT_TRUE(job.has_value()) << job.error().message;
        ASSERT_TRUE(job.value()->assignProcess(child.pid()).has_value());
        EXPECT_EQ(child.exitCode(0), STILL_ACTIVE);
    }
    EXPECT_NE(child.exitCode(10'000), STILL_ACTIVE);
}

// As a daemon: itself in its job, a handler started out of it into the handler's job. (The test
// program stays in this job for the tests after this one; nothing limits it.)
TEST(Win32JobObjects, TheDaemonJoinsItsJobAndItsHandlersBreakAway) {
    auto api = windows::win32JobObjectApi();
    auto daemon = api->createJob({"", true, false});
    ASSERT_TRUE(daemon.has_value()) << daemon.error().message;
    auto joined = daemon.value()->assignProcess(static_cast<ProcessId>(::GetCurrentProcessId()));
    ASSERT_TRUE(joined.has_value()) << joined.error().message;
    EXPECT_EQ(daemon.value()->accounting().value().active_processes, 1U);

    auto handler = api->createJob({"", false, true});
    ASSERT_TRUE(handler.has_value()) << handler.error().message;
    SuspendedChild child;
    ASSERT_TRUE(child.started()) << ::GetLastError();
    auto assigned = handler.value()->assignProcess(child.pid());
    ASSERT_TRUE(assigned.has_value()) << assigned.error().message;
    EXPECT_EQ(handler.value()->accounting().value().active_processes, 1U);
    EXPECT_EQ(daemon.value()->accounting().value().active_processes, 1U); // the daemon alone
}

TEST(Win32JobObjects, AMissingProcessNamesTheCallAndTheError) {
    auto api = windows::win32JobObjectApi();
    auto job = api->createJob({});
    ASSERT_TRUE(job.has_value()) << job.error().message;
    // Process ids are multiples of 4; this one never exists.
    const auto assigned = job.value()->assignProcess(3);
    ASSERT_FALSE(assigned.has_value());
    EXPECT_EQ(assigned.error().message.rfind("OpenProcess(pid 3) failed: ", 0), 0U)
        << assigned.error().message;
    EXPECT_NE(assigned.error().message.find("(error 87)"), std::string::npos)
        << assigned.error().message;
}

TEST(Win32JobObjects, ANamedJobIsNeverAdopted) {
    auto api = windows::win32JobObjectApi();
    const std::string name = "azcm-test-job-" + std::to_string(::GetCurrentProcessId());
    auto first = api->createJob({name, false, false});
    ASSERT_TRUE(first.has_value()) << first.error().message;
    auto second = api->createJob({name, false, false});
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().message,
              "CreateJobObjectW: a job named '" + name + "' already exists");
}

// Wine refuses CPU-rate control with error 87; Windows sets it and reads it back.
TEST(Win32JobObjects, CpuRateIsSetAndReadBackOrRefusedWithTheError) {
    auto api = windows::win32JobObjectApi();
    auto job = api->createJob({"", false, true});
    ASSERT_TRUE(job.has_value()) << job.error().message;
    const auto set = job.value()->setCpuRate(250);
    if (set.has_value()) {
        EXPECT_EQ(job.value()->cpuRate().value(), 250U);
        ASSERT_TRUE(job.value()->setCpuRate(std::nullopt).has_value());
        EXPECT_EQ(job.value()->cpuRate().value(), std::nullopt);
    } else {
        EXPECT_EQ(set.error().message.rfind(
                      "SetInformationJobObject(JobObjectCpuRateControlInformation) failed: ", 0),
                  0U)
            << set.error().message;
        EXPECT_NE(set.error().message.find("(error 87)"), std::string::npos) << set.error().message;
    }
}

TEST(Win32JobObjects, TheLimiterIsEnforcedOnlyWhereRateControlWorks) {
    CpuLimiter limiter = CpuLimiter::fromEnvironment("gcad");
    auto group = limiter.daemonGroup();
    if (limiter.enforcement().enforced) {
        ASSERT_TRUE(group.enforcement().enforced);
        ASSERT_TRUE(group.setQuotaPercent(50).has_value());
        const auto cpus = limiter.placement().logical_cpus;
        EXPECT_EQ(group.readQuota().value(),
                  windows::quotaForJobCpuRate(windows::jobCpuRateForPercent(50, cpus), cpus));
        EXPECT_TRUE(group.sample().has_value());
        EXPECT_TRUE(limiter.removeDaemonTree().has_value());
    } else {
        const auto described = limiter.enforcement().describe();
        EXPECT_EQ(described.rfind("not enforced: job CPU-rate control is unavailable: "
                                  "SetInformationJobObject(JobObjectCpuRateControlInformation) "
                                  "failed: ",
                                  0),
                  0U)
            << described;
        EXPECT_NE(described.find("(error 87)"), std::string::npos) << described;
        EXPECT_EQ(group.enforcement().describe(), described);
        EXPECT_TRUE(group.setQuotaPercent(5).has_value()); // remembered, nothing fails
    }
}

} // namespace
} // namespace azcm::platform
