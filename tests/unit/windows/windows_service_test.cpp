// The service state machine against a fake SCM, the shutdown request, the console fallback and
// the Event Log. The real dispatcher under the SCM is exercised by
// tests/windows/service_lifecycle_test.sh (a service under wine's service manager).
#include "common/platform/service_manager.hpp"
#include "common/platform/windows/event_log.hpp"
#include "common/platform/windows/windows_service.hpp"
#include "under_wine.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace azcm::platform::windows {
namespace {

class RecordingStatusSink final : public ServiceStatusSink {
public:
    Result<void> report(const ServiceStatusReport& status) override {
        std::lock_guard lock(mutex);
        reports.push_back(status);
        return ok();
    }
    std::vector<DWORD> states() {
        std::lock_guard lock(mutex);
        std::vector<DWORD> result;
        for (const auto& report : reports) {
            result.push_back(report.state);
        }
        return result;
    }
    ServiceStatusReport last() {
        std::lock_guard lock(mutex);
        return reports.back();
    }
    std::size_t count() {
        std::lock_guard lock(mutex);
        return reports.size();
    }

    std::mutex mutex;
    std::vector<ServiceStatusReport> reports;
};

class RecordingEventSink final : public ServiceEventSink {
public:
    struct Event {
        ServiceEvent kind;
        std::string text;
        std::size_t status_reports_before; // how many status reports preceded the event
    };
    explicit RecordingEventSink(RecordingStatusSink& status) : status_(status) {}
    Result<void> record(ServiceEvent kind, const std::string& text) override {
        events.push_back({kind, text, status_.count()});
        return ok();
    }
    std::vector<Event> events;

private:
    RecordingStatusSink& status_;
};

// A body that does what a daemon does: subscribe, say ready, wait for the request, stop.
int daemonLikeBody(ShutdownRequests& requests, int exit_code) {
    std::atomic<bool> stop{false};
    auto subscription = requests.subscribe([&stop] { stop = true; });
    systemServiceManager().notifyReady("listening");
    while (!stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    systemServiceManager().notifyStopping();
    return exit_code;
}

// Runs the service thread as ServiceMain would, sends `control` once RUNNING shows.
int runWithControl(ServiceLifecycle& lifecycle,
                   ShutdownRequests& requests,
                   DWORD control,
                   int exit_code) {
    int code = -1;
    std::thread service_thread([&] {
        code = runServiceBody(lifecycle, requests, [exit_code](ShutdownRequests& r) {
            return daemonLikeBody(r, exit_code);
        });
    });
    while (lifecycle.state() != SERVICE_RUNNING) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(lifecycle.handleControl(control, requests), static_cast<DWORD>(NO_ERROR));
    service_thread.join();
    return code;
}

TEST(ServiceLifecycleTest, ReportsStartRunningStopStoppedInOrderAndRunningOnlyAfterReady) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    ShutdownRequests requests;
    std::vector<DWORD> seen_before_ready;
    std::thread service_thread([&] {
        runServiceBody(lifecycle, requests, [&](ShutdownRequests& r) {
            seen_before_ready = sink.states();
            return daemonLikeBody(r, 0);
        });
    });
    while (lifecycle.state() != SERVICE_RUNNING) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    lifecycle.handleControl(SERVICE_CONTROL_STOP, requests);
    service_thread.join();

    EXPECT_EQ(seen_before_ready, (std::vector<DWORD>{SERVICE_START_PENDING}));
    // STOP_PENDING twice: the handler's at once, then the daemon's notifyStopping as progress.
    EXPECT_EQ(sink.states(),
              (std::vector<DWORD>{SERVICE_START_PENDING, SERVICE_RUNNING, SERVICE_STOP_PENDING,
                                  SERVICE_STOP_PENDING, SERVICE_STOPPED}));
    EXPECT_EQ(sink.reports[2].checkpoint, 1u);
    EXPECT_EQ(sink.reports[3].checkpoint, 2u);
}

TEST(ServiceLifecycleTest, AcceptsStopShutdownPreshutdownOnlyWhileRunning) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    ShutdownRequests requests;
    runWithControl(lifecycle, requests, SERVICE_CONTROL_STOP, 0);
    for (const auto& report : sink.reports) {
        if (report.state == SERVICE_RUNNING) {
            EXPECT_EQ(report.controls_accepted,
                      static_cast<DWORD>(SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN |
                                         SERVICE_ACCEPT_PRESHUTDOWN));
            EXPECT_EQ(report.wait_hint_ms, 0u);
        } else {
            EXPECT_EQ(report.controls_accepted, 0u) << "state " << report.state;
        }
    }
}

TEST(ServiceLifecycleTest, PendingStatesCarryCheckpointAndWaitHint) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    lifecycle.reportStartPending();
    lifecycle.reportProgress();
    lifecycle.reportRunning("ok");
    lifecycle.reportProgress(); // ignored while RUNNING
    lifecycle.reportStopPending();
    lifecycle.reportStopped(0);
    ASSERT_EQ(sink.states(),
              (std::vector<DWORD>{SERVICE_START_PENDING, SERVICE_START_PENDING, SERVICE_RUNNING,
                                  SERVICE_STOP_PENDING, SERVICE_STOPPED}));
    EXPECT_EQ(sink.reports[0].checkpoint, 1u);
    EXPECT_EQ(sink.reports[1].checkpoint, 2u);
    EXPECT_EQ(sink.reports[0].wait_hint_ms, static_cast<DWORD>(kStartWaitHint.count()));
    EXPECT_EQ(sink.reports[2].checkpoint, 0u);
    EXPECT_EQ(sink.reports[3].checkpoint, 1u);
    EXPECT_EQ(sink.reports[3].wait_hint_ms, static_cast<DWORD>(kStopWaitHint.count()));
    EXPECT_EQ(sink.reports[4].checkpoint, 0u);
    EXPECT_EQ(sink.reports[4].wait_hint_ms, 0u);
}

class StopControlTest : public ::testing::TestWithParam<DWORD> {};

TEST_P(StopControlTest, ReportsStopPendingAtOnceAndRequestsShutdown) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    ShutdownRequests requests;
    int delivered = 0;
    auto subscription = requests.subscribe([&delivered] { ++delivered; });
    lifecycle.reportStartPending();
    lifecycle.reportRunning("ok");
    EXPECT_EQ(lifecycle.handleControl(GetParam(), requests), static_cast<DWORD>(NO_ERROR));
    EXPECT_EQ(sink.last().state, static_cast<DWORD>(SERVICE_STOP_PENDING));
    EXPECT_EQ(delivered, 1);
}

INSTANTIATE_TEST_SUITE_P(Controls,
                         StopControlTest,
                         ::testing::Values(SERVICE_CONTROL_STOP,
                                           SERVICE_CONTROL_SHUTDOWN,
                                           SERVICE_CONTROL_PRESHUTDOWN));

TEST(ServiceLifecycleTest, InterrogateIsAnsweredAndOtherControlsAreNotImplemented) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    ShutdownRequests requests;
    lifecycle.reportStartPending();
    lifecycle.reportRunning("ok");
    const auto reports = sink.count();
    EXPECT_EQ(lifecycle.handleControl(SERVICE_CONTROL_INTERROGATE, requests),
              static_cast<DWORD>(NO_ERROR));
    EXPECT_EQ(lifecycle.handleControl(SERVICE_CONTROL_PAUSE, requests),
              static_cast<DWORD>(ERROR_CALL_NOT_IMPLEMENTED));
    EXPECT_EQ(lifecycle.handleControl(SERVICE_CONTROL_PARAMCHANGE, requests),
              static_cast<DWORD>(ERROR_CALL_NOT_IMPLEMENTED));
    EXPECT_EQ(sink.count(), reports);
    EXPECT_FALSE(requests.requested());
    EXPECT_EQ(lifecycle.state(), static_cast<DWORD>(SERVICE_RUNNING));
}

TEST(ServiceLifecycleTest, ReadyAfterStopBeganDoesNotGoBackToRunning) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    lifecycle.reportStartPending();
    lifecycle.reportStopPending();
    lifecycle.reportRunning("late");
    lifecycle.reportStopped(0);
    lifecycle.reportStopped(0); // a second STOPPED is not reported
    lifecycle.reportRunning("after the end");
    EXPECT_EQ(sink.states(),
              (std::vector<DWORD>{SERVICE_START_PENDING, SERVICE_STOP_PENDING, SERVICE_STOPPED}));
}

TEST(ServiceLifecycleTest, CleanExitReportsNoError) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    ShutdownRequests requests;
    EXPECT_EQ(runWithControl(lifecycle, requests, SERVICE_CONTROL_STOP, 0), 0);
    EXPECT_EQ(sink.last().state, static_cast<DWORD>(SERVICE_STOPPED));
    EXPECT_EQ(sink.last().win32_exit_code, static_cast<DWORD>(NO_ERROR));
    EXPECT_EQ(sink.last().service_specific_exit_code, 0u);
}

TEST(ServiceLifecycleTest, NonZeroExitIsAServiceSpecificError) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    ShutdownRequests requests;
    EXPECT_EQ(runWithControl(lifecycle, requests, SERVICE_CONTROL_STOP, 70), 70);
    EXPECT_EQ(sink.last().state, static_cast<DWORD>(SERVICE_STOPPED));
    EXPECT_EQ(sink.last().win32_exit_code, static_cast<DWORD>(ERROR_SERVICE_SPECIFIC_ERROR));
    EXPECT_EQ(sink.last().service_specific_exit_code, 70u);
}

TEST(ServiceLifecycleTest, FailedStartGoesFromStartPendingToStoppedWithItsCode) {
    RecordingStatusSink sink;
    RecordingEventSink events(sink);
    ServiceLifecycle lifecycle(sink, &events);
    ShutdownRequests requests;
    const int code = runServiceBody(lifecycle, requests,
                                    [](ShutdownRequests&) { return exitcode::kInitFailed; });
    EXPECT_EQ(code, exitcode::kInitFailed);
    EXPECT_EQ(sink.states(), (std::vector<DWORD>{SERVICE_START_PENDING, SERVICE_STOPPED}));
    EXPECT_EQ(sink.last().service_specific_exit_code, static_cast<DWORD>(exitcode::kInitFailed));
    ASSERT_EQ(events.events.size(), 1u);
    EXPECT_EQ(events.events[0].kind, ServiceEvent::start_failed);
    EXPECT_EQ(events.events[0].text, "failed to start: exit code 6");
}

TEST(ServiceLifecycleTest, BodyExceptionStopsWithExitCodeOne) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    ShutdownRequests requests;
    const int code = runServiceBody(
        lifecycle, requests, [](ShutdownRequests&) -> int { throw std::runtime_error("boom"); });
    EXPECT_EQ(code, exitcode::kGeneric);
    EXPECT_EQ(sink.last().state, static_cast<DWORD>(SERVICE_STOPPED));
    EXPECT_EQ(sink.last().service_specific_exit_code, 1u);
}

TEST(ServiceLifecycleTest, RecordsStartedAndStoppedEvents) {
    RecordingStatusSink sink;
    RecordingEventSink events(sink);
    ServiceLifecycle lifecycle(sink, &events);
    ShutdownRequests requests;
    runWithControl(lifecycle, requests, SERVICE_CONTROL_STOP, 0);
    ASSERT_EQ(events.events.size(), 2u);
    EXPECT_EQ(events.events[0].kind, ServiceEvent::started);
    EXPECT_EQ(events.events[0].text, "started: listening");
    EXPECT_EQ(events.events[0].status_reports_before, 2u); // after START_PENDING and RUNNING
    EXPECT_EQ(events.events[1].kind, ServiceEvent::stopped);
    EXPECT_EQ(events.events[1].text, "stopped");
}

// Once STOPPED is reported the SCM may end the process: the event must already be written.
TEST(ServiceLifecycleTest, RecordsTheStopEventBeforeReportingStopped) {
    RecordingStatusSink sink;
    RecordingEventSink events(sink);
    ServiceLifecycle lifecycle(sink, &events);
    ShutdownRequests requests;
    runWithControl(lifecycle, requests, SERVICE_CONTROL_STOP, 0);
    ASSERT_EQ(events.events.size(), 2u);
    EXPECT_EQ(sink.states()[events.events[1].status_reports_before - 1],
              static_cast<DWORD>(SERVICE_STOP_PENDING));
    EXPECT_EQ(events.events[1].status_reports_before + 1, sink.count());
    EXPECT_EQ(sink.last().state, static_cast<DWORD>(SERVICE_STOPPED));
}

TEST(ServiceLifecycleTest, RecordsFailureEventForNonZeroExitAfterRunning) {
    RecordingStatusSink sink;
    RecordingEventSink events(sink);
    ServiceLifecycle lifecycle(sink, &events);
    ShutdownRequests requests;
    runWithControl(lifecycle, requests, SERVICE_CONTROL_SHUTDOWN, 2);
    ASSERT_EQ(events.events.size(), 2u);
    EXPECT_EQ(events.events[1].kind, ServiceEvent::failed);
    EXPECT_EQ(events.events[1].text, "stopped with exit code 2");
}

TEST(ServiceManagerTest, ForwardsToTheActiveLifecycleOnly) {
    RecordingStatusSink sink;
    ServiceLifecycle lifecycle(sink, nullptr);
    lifecycle.reportStartPending();
    {
        ActiveServiceLifecycle active(lifecycle);
        EXPECT_EQ(activeServiceLifecycle(), &lifecycle);
        systemServiceManager().pingWatchdog(); // a checkpoint while START_PENDING
        systemServiceManager().notifyReady("ok");
    }
    EXPECT_EQ(activeServiceLifecycle(), nullptr);
    const auto reports = sink.count();
    systemServiceManager().notifyStopping(); // no lifecycle active: nothing reported
    EXPECT_EQ(sink.count(), reports);
    EXPECT_EQ(sink.states(),
              (std::vector<DWORD>{SERVICE_START_PENDING, SERVICE_START_PENDING, SERVICE_RUNNING}));
    EXPECT_EQ(sink.reports[1].checkpoint, 2u);
}

TEST(ServiceManagerTest, HasNoWatchdog) {
    EXPECT_FALSE(systemServiceManager().watchdogInterval().has_value());
}

TEST(ShutdownRequestsTest, RequestBeforeSubscriptionIsDeliveredOnSubscription) {
    ShutdownRequests requests;
    requests.request();
    int delivered = 0;
    auto subscription = requests.subscribe([&delivered] { ++delivered; });
    EXPECT_EQ(delivered, 1);
}

TEST(ShutdownRequestsTest, DeliversOnce) {
    ShutdownRequests requests;
    int delivered = 0;
    auto subscription = requests.subscribe([&delivered] { ++delivered; });
    EXPECT_EQ(delivered, 0);
    requests.request();
    requests.request();
    EXPECT_EQ(delivered, 1);
    EXPECT_TRUE(requests.requested());
}

TEST(ShutdownRequestsTest, EndedSubscriptionIsNeverCalled) {
    ShutdownRequests requests;
    int delivered = 0;
    {
        auto subscription = requests.subscribe([&delivered] { ++delivered; });
    }
    requests.request();
    EXPECT_EQ(delivered, 0);
    EXPECT_TRUE(requests.requested());
}

TEST(ConsoleTest, ControlWithoutARunningBodyIsLeftToTheDefaultHandler) {
    EXPECT_FALSE(handleConsoleControl(CTRL_C_EVENT));
}

TEST(ConsoleTest, ForcedConsoleRunsTheBodyAndCtrlCIsTheShutdownRequest) {
    std::atomic<bool> logoff_handled{true};
    const auto code = runAsServiceOrConsole(
        "probe",
        [&logoff_handled](ShutdownRequests& requests) {
            std::atomic<bool> stop{false};
            auto subscription = requests.subscribe([&stop] { stop = true; });
            logoff_handled = handleConsoleControl(CTRL_LOGOFF_EVENT);
            EXPECT_FALSE(stop);
            std::thread console_thread([] { EXPECT_TRUE(handleConsoleControl(CTRL_C_EVENT)); });
            console_thread.join();
            EXPECT_TRUE(stop);
            return 5;
        },
        true);
    ASSERT_TRUE(code) << code.error().message;
    EXPECT_EQ(code.value(), 5);
    EXPECT_FALSE(logoff_handled);
}

TEST(ConsoleTest, CtrlBreakIsTheShutdownRequest) {
    const auto code = runAsServiceOrConsole(
        "probe",
        [](ShutdownRequests& requests) {
            EXPECT_TRUE(handleConsoleControl(CTRL_BREAK_EVENT));
            return requests.requested() ? 0 : 1;
        },
        true);
    ASSERT_TRUE(code) << code.error().message;
    EXPECT_EQ(code.value(), 0);
}

TEST(ConsoleTest, CloseWaitsForTheBodyToFinish) {
    std::atomic<bool> body_done{false};
    std::atomic<bool> done_when_handler_returned{false};
    std::thread console_thread;
    const auto code = runAsServiceOrConsole(
        "probe",
        [&](ShutdownRequests& requests) {
            std::atomic<bool> stop{false};
            auto subscription = requests.subscribe([&stop] { stop = true; });
            console_thread = std::thread([&] {
                EXPECT_TRUE(handleConsoleControl(CTRL_CLOSE_EVENT));
                done_when_handler_returned = body_done.load();
            });
            while (!stop) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            // The orderly stop takes a while; the handler must still be waiting.
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            body_done = true;
            return 0;
        },
        true);
    console_thread.join();
    ASSERT_TRUE(code);
    EXPECT_TRUE(done_when_handler_returned);
}

// wine's dispatcher connects to the control pipe of the service its services.exe started last
// (\\.\pipe\net\NtControlPipe<ServiceCurrent>) without checking who connects, so a test process
// that calls it while wine starts one of its own services (a driver host, on demand) takes that
// service's place. Pointing ServiceCurrent at a pipe nobody serves keeps the test process out.
void keepWineServiceStartsAway() {
    if (!test::underWine()) {
        return;
    }
    HKEY key = nullptr;
    ASSERT_EQ(::RegCreateKeyExW(HKEY_LOCAL_MACHINE,
                                L"SYSTEM\\CurrentControlSet\\Control\\ServiceCurrent", 0, nullptr,
                                0, KEY_SET_VALUE, nullptr, &key, nullptr),
              ERROR_SUCCESS);
    const DWORD unused_pipe = 0xFFFFFFF0U;
    EXPECT_EQ(::RegSetValueExW(key, nullptr, 0, REG_DWORD,
                               reinterpret_cast<const BYTE*>(&unused_pipe), sizeof(unused_pipe)),
              ERROR_SUCCESS);
    ::RegCloseKey(key);
}

// The real Win32 path: this test process was not started by the SCM, so
// StartServiceCtrlDispatcherW fails with ERROR_FAILED_SERVICE_CONTROLLER_CONNECT (wine 8 too)
// and the body runs in the console.
TEST(DispatcherTest, OutsideTheScmFallsBackToTheConsole) {
    keepWineServiceStartsAway();
    bool ran = false;
    const auto code = runAsServiceOrConsole(
        "probe",
        [&ran](ShutdownRequests& requests) {
            ran = true;
            EXPECT_EQ(activeServiceLifecycle(), nullptr); // no SCM: notifyReady is a no-op
            EXPECT_FALSE(requests.requested());
            return 3;
        },
        false);
    ASSERT_TRUE(code) << code.error().message;
    EXPECT_TRUE(ran);
    EXPECT_EQ(code.value(), 3);
}

TEST(EventLogTest, EventTypesPerKind) {
    EXPECT_EQ(eventType(ServiceEvent::started), EVENTLOG_INFORMATION_TYPE);
    EXPECT_EQ(eventType(ServiceEvent::stopped), EVENTLOG_INFORMATION_TYPE);
    EXPECT_EQ(eventType(ServiceEvent::start_failed), EVENTLOG_ERROR_TYPE);
    EXPECT_EQ(eventType(ServiceEvent::failed), EVENTLOG_ERROR_TYPE);
}

TEST(EventLogTest, RegistrationNamesTheApplicationLogKeyAndItsValues) {
    const auto registration =
        eventSourceRegistration("himds", "%ProgramFiles%\\AzureConnectedMachineAgent\\himds.exe");
    EXPECT_EQ(registration.key,
              "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\himds");
    ASSERT_EQ(registration.values.size(), 2u);
    EXPECT_EQ(registration.values[0].name, "EventMessageFile");
    EXPECT_EQ(registration.values[0].kind, RegistryValue::Kind::expand_string);
    EXPECT_EQ(std::get<std::string>(registration.values[0].data),
              "%ProgramFiles%\\AzureConnectedMachineAgent\\himds.exe");
    EXPECT_EQ(registration.values[1].name, "TypesSupported");
    EXPECT_EQ(registration.values[1].kind, RegistryValue::Kind::dword);
    EXPECT_EQ(std::get<std::uint32_t>(registration.values[1].data), 5u); // information | error
}

TEST(InstalledServiceNameTest, TheRealAgentsWindowsServiceNames) {
    EXPECT_EQ(installedServiceName("himds"), "himds");
    EXPECT_EQ(installedServiceName("gcservice"), "GCArcService");
    EXPECT_EQ(installedServiceName("extservice"), "ExtensionService");
    EXPECT_EQ(installedServiceName("arcproxy"), "arcproxy");
    EXPECT_EQ(installedServiceName("azcmagent"), "azcmagent");
}

// Wine 8's RegisterEventSourceW and ReportEventW are stubs that succeed (the text goes to the
// "eventlog" debug channel, nothing to a readable log), so this checks the calls are well
// formed, not that Windows stores them.
TEST(EventLogTest, OpensASourceAndReportsEachKind) {
    auto log = EventLog::open("azcm-windows-service-test");
    ASSERT_TRUE(log) << log.error().message;
    for (auto kind : {ServiceEvent::started, ServiceEvent::stopped, ServiceEvent::start_failed,
                      ServiceEvent::failed}) {
        const auto recorded = log.value()->record(kind, "unit test \xc3\xa9v\xc3\xa9nement");
        EXPECT_TRUE(recorded) << recorded.error().message;
    }
}

} // namespace
} // namespace azcm::platform::windows
