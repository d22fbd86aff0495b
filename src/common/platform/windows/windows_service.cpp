// The service control dispatcher (StartServiceCtrlDispatcherW), the service thread, the
// control handler and the console fallback.
#include "common/platform/windows/windows_service.hpp"

#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include <spdlog/spdlog.h>

namespace azcm::platform::windows {

namespace {

bool isPending(DWORD state) {
    return state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
}

std::atomic<ServiceLifecycle*> active_lifecycle{nullptr};

int runGuarded(const ServiceBody& body, ShutdownRequests& requests) {
    try {
        return body(requests);
    } catch (const std::exception& error) {
        spdlog::critical("SERVICE_BODY_FAILED {}", error.what());
    } catch (...) {
        spdlog::critical("SERVICE_BODY_FAILED unknown exception");
    }
    return exitcode::kGeneric;
}

// ---- the real SCM -------------------------------------------------------------------------

class ScmStatusSink final : public ServiceStatusSink {
public:
    void attach(SERVICE_STATUS_HANDLE handle) { handle_.store(handle); }

    Result<void> report(const ServiceStatusReport& status) override {
        SERVICE_STATUS native{};
        native.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
        native.dwCurrentState = status.state;
        native.dwControlsAccepted = status.controls_accepted;
        native.dwWin32ExitCode = status.win32_exit_code;
        native.dwServiceSpecificExitCode = status.service_specific_exit_code;
        native.dwCheckPoint = status.checkpoint;
        native.dwWaitHint = status.wait_hint_ms;
        if (!SetServiceStatus(handle_.load(), &native)) {
            return makeError(exitcode::kGeneric,
                             "SetServiceStatus failed: " + win32ErrorText(GetLastError()));
        }
        return ok();
    }

private:
    std::atomic<SERVICE_STATUS_HANDLE> handle_{nullptr};
};

// Everything the SCM's callbacks need. ServiceMain receives no context, so one pointer to this
// is static; it lives in runAsServiceOrConsole's frame, which blocks in the dispatcher for as
// long as the SCM may call ServiceMain or the handler (the handler runs on that same thread).
struct ServiceProcess {
    std::string name_utf8; // the Event Log source
    std::wstring name;
    ServiceBody body;
    ShutdownRequests requests;
    ScmStatusSink sink;
    std::unique_ptr<EventLog> events;
    std::optional<ServiceLifecycle> lifecycle;
    int exit_code = exitcode::kInitFailed;
    // The dispatcher returns as soon as the service reports STOPPED, while ServiceMain is still
    // on its way out (unlocking the lifecycle, storing the exit code): this frame may end only
    // after ServiceMain has.
    std::mutex main_mutex;
    std::condition_variable main_finished;
    bool main_entered = false;
    bool main_done = false;

    void waitForServiceMain() {
        std::unique_lock lock(main_mutex);
        main_finished.wait(lock, [this] { return !main_entered || main_done; });
    }
};

// Marks ServiceMain entered for as long as it runs.
class ServiceMainScope {
public:
    explicit ServiceMainScope(ServiceProcess& process) : process_(process) {
        const std::lock_guard lock(process_.main_mutex);
        process_.main_entered = true;
    }
    ServiceMainScope(const ServiceMainScope&) = delete;
    ServiceMainScope& operator=(const ServiceMainScope&) = delete;
    ServiceMainScope(ServiceMainScope&&) = delete;
    ServiceMainScope& operator=(ServiceMainScope&&) = delete;
    ~ServiceMainScope() {
        {
            const std::lock_guard lock(process_.main_mutex);
            process_.main_done = true;
        }
        process_.main_finished.notify_all();
    }

private:
    ServiceProcess& process_;
};

std::atomic<ServiceProcess*> service_process{nullptr};

DWORD WINAPI serviceControlHandler(DWORD control,
                                   DWORD /*event_type*/,
                                   LPVOID /*event_data*/,
                                   LPVOID context) {
    auto* process = static_cast<ServiceProcess*>(context);
    return process->lifecycle->handleControl(control, process->requests);
}

void WINAPI serviceMain(DWORD /*argc*/, LPWSTR* /*argv*/) {
    ServiceProcess* process = service_process.load();
    if (process == nullptr) {
        return;
    }
    const ServiceMainScope running(*process);
    // The Event Log is a help, not a condition of running: a service that cannot open it
    // still starts and says why in its own log.
    ServiceEventSink* events = nullptr;
    if (auto opened = EventLog::open(process->name_utf8); opened) {
        process->events = std::move(opened).value();
        events = process->events.get();
    } else {
        spdlog::warn("SERVICE_EVENT_LOG_UNAVAILABLE {}", opened.error().message);
    }
    process->lifecycle.emplace(process->sink, events);
    SERVICE_STATUS_HANDLE handle =
        RegisterServiceCtrlHandlerExW(process->name.c_str(), serviceControlHandler, process);
    if (handle == nullptr) {
        // No handle, no status report: the SCM sees the start time out.
        spdlog::critical("SERVICE_REGISTER_FAILED {}", win32ErrorText(GetLastError()));
        return;
    }
    process->sink.attach(handle);
    process->exit_code = runServiceBody(*process->lifecycle, process->requests, process->body);
}

// ---- the console --------------------------------------------------------------------------

// The console's state for its handler, which Windows calls on a thread of its own.
struct ConsoleState {
    std::mutex mutex;
    std::condition_variable finished;
    ShutdownRequests* requests = nullptr; // while a body runs
    bool body_running = false;
};

ConsoleState& consoleState() {
    static ConsoleState state;
    return state;
}

BOOL WINAPI consoleControlHandler(DWORD control_type) {
    return handleConsoleControl(control_type) ? TRUE : FALSE;
}

Result<int> runInConsole(const ServiceBody& body) {
    ShutdownRequests requests;
    auto& console = consoleState();
    {
        std::lock_guard lock(console.mutex);
        console.requests = &requests;
        console.body_running = true;
    }
    // Without the handler Ctrl+C would end the process without the orderly stop: fail closed.
    if (!SetConsoleCtrlHandler(consoleControlHandler, TRUE)) {
        const DWORD error = GetLastError();
        std::lock_guard lock(console.mutex);
        console.requests = nullptr;
        console.body_running = false;
        return makeError(exitcode::kInitFailed,
                         "cannot install the console control handler: " + win32ErrorText(error));
    }
    const int code = runGuarded(body, requests);
    {
        std::lock_guard lock(console.mutex);
        console.requests = nullptr;
        console.body_running = false;
    }
    console.finished.notify_all();
    SetConsoleCtrlHandler(consoleControlHandler, FALSE);
    return code;
}

} // namespace

// ---- ShutdownRequests ---------------------------------------------------------------------

ShutdownRequests::Subscription::Subscription(Subscription&& other) noexcept : owner_(other.owner_) {
    other.owner_ = nullptr;
}

ShutdownRequests::Subscription::~Subscription() {
    if (owner_ != nullptr) {
        owner_->unsubscribe();
    }
}

ShutdownRequests::Subscription ShutdownRequests::subscribe(std::function<void()> on_request) {
    std::lock_guard lock(mutex_);
    on_request_ = std::move(on_request);
    if (requested_ && !delivered_ && on_request_) {
        delivered_ = true;
        on_request_();
    }
    return Subscription(this);
}

void ShutdownRequests::unsubscribe() {
    std::lock_guard lock(mutex_);
    on_request_ = nullptr;
}

void ShutdownRequests::request() {
    std::lock_guard lock(mutex_);
    requested_ = true;
    if (!delivered_ && on_request_) {
        delivered_ = true;
        on_request_();
    }
}

bool ShutdownRequests::requested() const {
    std::lock_guard lock(mutex_);
    return requested_;
}

// ---- ServiceLifecycle ---------------------------------------------------------------------

ServiceLifecycle::ServiceLifecycle(ServiceStatusSink& sink, ServiceEventSink* events)
    : sink_(sink), events_(events) {}

void ServiceLifecycle::reportLocked(DWORD state, DWORD controls, int exit_code) {
    state_ = state;
    ServiceStatusReport status;
    status.state = state;
    status.controls_accepted = controls;
    if (exit_code != 0) {
        status.win32_exit_code = ERROR_SERVICE_SPECIFIC_ERROR;
        status.service_specific_exit_code = static_cast<DWORD>(exit_code);
    }
    if (isPending(state)) {
        status.checkpoint = checkpoint_;
        const auto hint = state == SERVICE_START_PENDING ? kStartWaitHint : kStopWaitHint;
        status.wait_hint_ms = static_cast<DWORD>(hint.count());
    }
    if (auto reported = sink_.report(status); !reported) {
        spdlog::warn("SERVICE_STATUS_FAILED {}", reported.error().message);
    }
}

void ServiceLifecycle::reportStartPending() {
    std::lock_guard lock(mutex_);
    if (started_) {
        return;
    }
    started_ = true;
    checkpoint_ = 1;
    reportLocked(SERVICE_START_PENDING, 0, 0);
}

void ServiceLifecycle::reportRunning(const std::string& status) {
    std::lock_guard lock(mutex_);
    if (state_ != SERVICE_START_PENDING) {
        return;
    }
    was_running_ = true;
    checkpoint_ = 0;
    reportLocked(SERVICE_RUNNING, kRunningControls, 0);
    if (events_ != nullptr) {
        if (auto recorded = events_->record(ServiceEvent::started, "started: " + status);
            !recorded) {
            spdlog::warn("SERVICE_EVENT_FAILED {}", recorded.error().message);
        }
    }
}

void ServiceLifecycle::reportStopPending() {
    std::lock_guard lock(mutex_);
    if (state_ == SERVICE_STOP_PENDING) {
        ++checkpoint_;
        reportLocked(SERVICE_STOP_PENDING, 0, 0);
        return;
    }
    if (state_ != SERVICE_START_PENDING && state_ != SERVICE_RUNNING) {
        return;
    }
    checkpoint_ = 1;
    reportLocked(SERVICE_STOP_PENDING, 0, 0);
}

void ServiceLifecycle::reportProgress() {
    std::lock_guard lock(mutex_);
    if (!isPending(state_)) {
        return;
    }
    ++checkpoint_;
    reportLocked(state_, 0, 0);
}

void ServiceLifecycle::reportStopped(int exit_code) {
    std::lock_guard lock(mutex_);
    if (!started_ || state_ == SERVICE_STOPPED) {
        return;
    }
    // The event first: once STOPPED is reported the SCM may end the process at any moment
    // (wine's does, before a later ReportEventW runs).
    if (events_ != nullptr) {
        const std::string code = std::to_string(exit_code);
        const auto [kind, text] =
            !was_running_
                ? std::pair{ServiceEvent::start_failed, "failed to start: exit code " + code}
            : exit_code == 0 ? std::pair{ServiceEvent::stopped, std::string("stopped")}
                             : std::pair{ServiceEvent::failed, "stopped with exit code " + code};
        if (auto recorded = events_->record(kind, text); !recorded) {
            spdlog::warn("SERVICE_EVENT_FAILED {}", recorded.error().message);
        }
    }
    checkpoint_ = 0;
    reportLocked(SERVICE_STOPPED, 0, exit_code);
}

DWORD ServiceLifecycle::handleControl(DWORD control, ShutdownRequests& requests) {
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
    case SERVICE_CONTROL_PRESHUTDOWN:
        // STOP_PENDING at once, before the daemon's loop gets to it: the SCM then knows the
        // control was taken even while the loop finishes a piece of work.
        reportStopPending();
        requests.request();
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

DWORD ServiceLifecycle::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

// ---- the service thread -------------------------------------------------------------------

int runServiceBody(ServiceLifecycle& lifecycle,
                   ShutdownRequests& requests,
                   const ServiceBody& body) {
    lifecycle.reportStartPending();
    int code = exitcode::kGeneric;
    {
        ActiveServiceLifecycle active(lifecycle);
        code = runGuarded(body, requests);
    }
    lifecycle.reportStopped(code);
    return code;
}

ActiveServiceLifecycle::ActiveServiceLifecycle(ServiceLifecycle& lifecycle) {
    active_lifecycle.store(&lifecycle);
}

ActiveServiceLifecycle::~ActiveServiceLifecycle() {
    active_lifecycle.store(nullptr);
}

ServiceLifecycle* activeServiceLifecycle() {
    return active_lifecycle.load();
}

// ---- the console handler ------------------------------------------------------------------

bool handleConsoleControl(DWORD control_type) {
    switch (control_type) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_SHUTDOWN_EVENT:
        break;
    default:
        return false;
    }
    auto& console = consoleState();
    std::unique_lock lock(console.mutex);
    if (console.requests == nullptr) {
        return false;
    }
    console.requests->request();
    if (control_type == CTRL_CLOSE_EVENT || control_type == CTRL_SHUTDOWN_EVENT) {
        // Windows ends the process when this returns (or after its own few seconds): give the
        // orderly stop that time. The bound only matters to a caller other than Windows.
        console.finished.wait_for(lock, kStopWaitHint,
                                  [&console] { return !console.body_running; });
    }
    return true;
}

// ---- the entry point ----------------------------------------------------------------------

Result<int>
runAsServiceOrConsole(const std::string& service_name, ServiceBody body, bool console_forced) {
    if (console_forced) {
        return runInConsole(body);
    }
    ServiceProcess process;
    process.name_utf8 = service_name;
    BOOST_OUTCOME_TRY(wide_name, toWide(service_name));
    process.name = std::move(wide_name);
    process.body = std::move(body);
    ServiceProcess* expected = nullptr;
    if (!service_process.compare_exchange_strong(expected, &process)) {
        return makeError(exitcode::kInternal, "a service dispatcher is already running");
    }
    std::array<SERVICE_TABLE_ENTRYW, 2> table{};
    table[0].lpServiceName = process.name.data();
    table[0].lpServiceProc = serviceMain;
    const BOOL dispatched = StartServiceCtrlDispatcherW(table.data());
    const DWORD error = dispatched ? NO_ERROR : GetLastError();
    process.waitForServiceMain();
    service_process.store(nullptr);
    if (dispatched) {
        return process.exit_code;
    }
    if (error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
        return runInConsole(process.body);
    }
    return makeError(exitcode::kInitFailed, "cannot connect to the service control manager as '" +
                                                service_name + "': " + win32ErrorText(error));
}

} // namespace azcm::platform::windows
