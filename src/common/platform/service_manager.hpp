#pragma once
// What a daemon tells the service manager that started it (systemd on Linux): that it is ready,
// that it is stopping, and that it is still alive when the unit asks for watchdog pings. Without
// a service manager (a sandbox, a test) every call does nothing.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace azcm::platform {

class ServiceManager {
public:
    ServiceManager() = default;
    ServiceManager(const ServiceManager&) = delete;
    ServiceManager& operator=(const ServiceManager&) = delete;
    ServiceManager(ServiceManager&&) = delete;
    ServiceManager& operator=(ServiceManager&&) = delete;
    virtual ~ServiceManager() = default;

    // After every listener is bound; `status` is the one-line status the manager shows.
    virtual void notifyReady(const std::string& status) = 0;
    virtual void notifyStopping() = 0;
    // How often the manager wants a sign of life (the unit's WatchdogSec); nullopt: never.
    virtual std::optional<std::chrono::microseconds> watchdogInterval() = 0;
    virtual void pingWatchdog() = 0;
};

// The manager of this process (systemd through libsystemd on Linux).
ServiceManager& systemServiceManager();

// The name the service manager knows an agent daemon by ("himds", "gcservice", "extservice",
// "arcproxy"): the systemd unit on Linux (himdsd, gcad, extd, arcproxyd), the Windows service
// (himds, GCArcService, ExtensionService, arcproxy). The daemon's own name for anything else.
std::string installedServiceName(std::string_view daemon);

} // namespace azcm::platform
