#pragma once
// How the operating system's service manager runs a daemon's process. systemd starts a daemon as
// a plain process and stops it with SIGTERM, so on Linux the body just runs. Windows' service
// control manager (SCM) needs the process to hand its main thread to the service dispatcher; the
// body then runs on the service thread and the SCM's stop control is a request the body
// subscribes to (docs/windows.md). Started from a console, or with --console, a Windows daemon
// runs in the foreground and Ctrl+C is that request.
#include <functional>
#include <memory>
#include <string>

namespace azcm::platform {

// The service manager's stop requests that do not arrive as signals.
class StopRequests {
public:
    // Destroying the handle unsubscribes: the callback is never called after that.
    using Subscription = std::shared_ptr<void>;

    StopRequests() = default;
    StopRequests(const StopRequests&) = delete;
    StopRequests& operator=(const StopRequests&) = delete;
    StopRequests(StopRequests&&) = delete;
    StopRequests& operator=(StopRequests&&) = delete;
    virtual ~StopRequests() = default;

    // Calls `on_stop` at most once, when the service manager asks the daemon to stop (also when
    // it asked before this call). It must be quick: posting to an io_context is.
    virtual Subscription subscribe(std::function<void()> on_stop) = 0;
};

// The daemon: runs until it is asked to stop and returns the process exit code.
using ServiceProcessBody = std::function<int(StopRequests&)>;

// Runs `body` as the service `service_name` (the name the service manager knows the daemon by)
// and returns the process exit code. `console_forced`: run in the foreground even where the
// process could be a service.
int runServiceProcess(const std::string& service_name,
                      bool console_forced,
                      const ServiceProcessBody& body);

} // namespace azcm::platform
