#pragma once
// A daemon as a Windows service: the service control manager (SCM) starts the process, the
// process hands its main thread to the SCM's dispatcher, and the daemon's body runs on the
// service thread. The SCM's controls STOP, SHUTDOWN and PRESHUTDOWN become the daemon's one
// shutdown request; started from a console (or with --console) the body runs in the foreground
// and Ctrl+C, Ctrl+Break and closing the console are that request instead.
//
// The SCM sees START_PENDING, then RUNNING only once the daemon says its listeners are bound
// (ServiceManager::notifyReady), then STOP_PENDING and STOPPED with the body's exit code. The
// status reports go through ServiceStatusSink so tests can check them against a fake.
#include "common/error.hpp"
#include "common/platform/service_manager.hpp"
#include "common/platform/windows/event_log.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <windows.h>

namespace azcm::platform::windows {

// The one shutdown request of a process, from whichever source comes first. A request that
// arrives before the daemon subscribes (Ctrl+C before the loop exists) is kept and delivered on
// subscription. The callback runs at most once, under a lock: it must be quick and must not call
// back into this object (posting to an io_context, as DaemonRunner::requestShutdown does, is
// both quick and independent).
class ShutdownRequests {
public:
    // Unsubscribes when destroyed, after which the callback is never called again, so a
    // subscription declared after the io_context it posts to cannot outlive it.
    class [[nodiscard]] Subscription {
    public:
        explicit Subscription(ShutdownRequests* owner) : owner_(owner) {}
        Subscription(const Subscription&) = delete;
        Subscription& operator=(const Subscription&) = delete;
        Subscription(Subscription&& other) noexcept;
        Subscription& operator=(Subscription&&) = delete;
        ~Subscription();

    private:
        ShutdownRequests* owner_;
    };

    ShutdownRequests() = default;
    ShutdownRequests(const ShutdownRequests&) = delete;
    ShutdownRequests& operator=(const ShutdownRequests&) = delete;
    ShutdownRequests(ShutdownRequests&&) = delete;
    ShutdownRequests& operator=(ShutdownRequests&&) = delete;
    ~ShutdownRequests() = default;

    // One subscriber at a time: a second subscription replaces the first's callback.
    Subscription subscribe(std::function<void()> on_request);
    void request();
    bool requested() const;

private:
    void unsubscribe();

    mutable std::mutex mutex_;
    std::function<void()> on_request_;
    bool requested_ = false;
    bool delivered_ = false;
};

// One SetServiceStatus report, in the SCM's own terms (SERVICE_* states and SERVICE_ACCEPT_*).
struct ServiceStatusReport {
    DWORD state = SERVICE_STOPPED;
    DWORD controls_accepted = 0;
    DWORD win32_exit_code = NO_ERROR;
    DWORD service_specific_exit_code = 0;
    DWORD checkpoint = 0;
    DWORD wait_hint_ms = 0;
};

// Where status reports go: SetServiceStatus for a real service, a recorder in tests.
class ServiceStatusSink {
public:
    ServiceStatusSink() = default;
    ServiceStatusSink(const ServiceStatusSink&) = delete;
    ServiceStatusSink& operator=(const ServiceStatusSink&) = delete;
    ServiceStatusSink(ServiceStatusSink&&) = delete;
    ServiceStatusSink& operator=(ServiceStatusSink&&) = delete;
    virtual ~ServiceStatusSink() = default;
    virtual Result<void> report(const ServiceStatusReport& status) = 0;
};

// How long the SCM should wait between two progress reports before it calls the service hung.
// The daemon's start reads its configuration and binds its listeners; its stop waits for
// in-flight work with its own deadline: both finish well inside these.
inline constexpr std::chrono::milliseconds kStartWaitHint{30'000};
inline constexpr std::chrono::milliseconds kStopWaitHint{30'000};

// The controls a running daemon accepts. PRESHUTDOWN gives an orderly stop more time than the
// few seconds SHUTDOWN allows; SHUTDOWN stays accepted for a system that does not send
// PRESHUTDOWN. No PAUSE: a paused daemon that keeps its listeners would answer nothing useful.
inline constexpr DWORD kRunningControls =
    SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN;

// The state machine of one service run. States only move forward:
// START_PENDING -> RUNNING -> STOP_PENDING -> STOPPED (RUNNING and STOP_PENDING may be skipped
// when the start fails). A call that would move backwards (ready after a stop began) is ignored.
// Pending states accept no control, so the SCM neither stops a service that has not finished
// starting nor sends a second STOP while one is under way. Thread-safe: the SCM's handler
// thread, the service thread and the daemon's loop all call it.
class ServiceLifecycle {
public:
    // `events` may be nullptr: no Event Log records (tests that only look at the states).
    ServiceLifecycle(ServiceStatusSink& sink, ServiceEventSink* events);

    void reportStartPending();
    void reportRunning(const std::string& status);
    void reportStopPending();
    // Re-reports the current pending state with the next checkpoint: the SCM's sign that a
    // long start or stop is still making progress. Does nothing outside the pending states.
    void reportProgress();
    // 0: a clean stop. Any other code is the daemon's own exit code, reported as a
    // service-specific error so `sc query` shows it and the SCM's recovery actions apply.
    void reportStopped(int exit_code);

    // The SCM's handler: STOP, SHUTDOWN and PRESHUTDOWN report STOP_PENDING at once and ask
    // `requests` to shut down; INTERROGATE is answered; anything else is not implemented.
    // Returns the handler's result (NO_ERROR or ERROR_CALL_NOT_IMPLEMENTED).
    DWORD handleControl(DWORD control, ShutdownRequests& requests);

    DWORD state() const;

private:
    void reportLocked(DWORD state, DWORD controls, int exit_code);

    mutable std::mutex mutex_;
    ServiceStatusSink& sink_;
    ServiceEventSink* events_;
    DWORD state_ = SERVICE_STOPPED;
    DWORD checkpoint_ = 0;
    bool started_ = false;     // reportStartPending was called: STOPPED is then the end
    bool was_running_ = false; // RUNNING was reported: a STOPPED is a stop, not a failed start
};

// The daemon: runs until the shutdown request (after subscribing to it), returns its exit code.
using ServiceBody = std::function<int(ShutdownRequests&)>;

// The service thread's whole job once the SCM handler is registered: START_PENDING, the body,
// STOPPED with its exit code (an exception from the body is exit code 1). Returns that code.
int runServiceBody(ServiceLifecycle& lifecycle,
                   ShutdownRequests& requests,
                   const ServiceBody& body);

// Makes `lifecycle` the one systemServiceManager() reports to while this object lives (the
// service thread, or a test). Without one, systemServiceManager() does nothing.
class ActiveServiceLifecycle {
public:
    explicit ActiveServiceLifecycle(ServiceLifecycle& lifecycle);
    ActiveServiceLifecycle(const ActiveServiceLifecycle&) = delete;
    ActiveServiceLifecycle& operator=(const ActiveServiceLifecycle&) = delete;
    ActiveServiceLifecycle(ActiveServiceLifecycle&&) = delete;
    ActiveServiceLifecycle& operator=(ActiveServiceLifecycle&&) = delete;
    ~ActiveServiceLifecycle();
};

// The lifecycle an ActiveServiceLifecycle made active, or nullptr.
ServiceLifecycle* activeServiceLifecycle();

// The ServiceManager a daemon gets on Windows: forwards to the active lifecycle, if any.
// notifyReady -> RUNNING, notifyStopping -> STOP_PENDING, pingWatchdog -> a checkpoint while
// pending; the SCM has no watchdog for a running service, so watchdogInterval is nullopt.
class ScmServiceManager final : public ServiceManager {
public:
    void notifyReady(const std::string& status) override;
    void notifyStopping() override;
    std::optional<std::chrono::microseconds> watchdogInterval() override;
    void pingWatchdog() override;
};

// Console mode's handler: Ctrl+C, Ctrl+Break, closing the console and system shutdown are a
// shutdown request (true: handled); anything else (logoff) is left to the default handler.
// For close and shutdown, Windows ends the process when the handler returns, so the handler
// waits (bounded by Windows' own limit) for the body to finish its orderly stop.
bool handleConsoleControl(DWORD control_type);

// Runs `body` as the service `service_name` under the SCM, or in the foreground when the process
// was not started by the SCM or `console_forced` is set. Returns the process exit code: the
// body's, or an Error when neither could run (the dispatcher failed for another reason).
Result<int>
runAsServiceOrConsole(const std::string& service_name, ServiceBody body, bool console_forced);

} // namespace azcm::platform::windows
