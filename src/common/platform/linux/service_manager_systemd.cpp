// systemd's notification socket (sd_notify): the only place the suite calls libsystemd.
#include "common/platform/service_manager.hpp"

#include <cstdint>

#include <systemd/sd-daemon.h>

namespace azcm::platform {

namespace {

class SystemdServiceManager final : public ServiceManager {
public:
    void notifyReady(const std::string& status) override {
        sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
    }
    void notifyStopping() override { sd_notify(0, "STOPPING=1"); }
    std::optional<std::chrono::microseconds> watchdogInterval() override {
        std::uint64_t usec = 0;
        // 0 = no WatchdogSec (or meant for another process): no pings.
        if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
            return std::nullopt;
        }
        return std::chrono::microseconds(usec);
    }
    void pingWatchdog() override { sd_notify(0, "WATCHDOG=1"); }
};

} // namespace

std::string installedServiceName(std::string_view daemon) {
    if (daemon == "himds") {
        return "himdsd";
    }
    if (daemon == "gcservice") {
        return "gcad";
    }
    if (daemon == "extservice") {
        return "extd";
    }
    if (daemon == "arcproxy") {
        return "arcproxyd";
    }
    return std::string(daemon);
}

ServiceManager& systemServiceManager() {
    static SystemdServiceManager manager;
    return manager;
}

} // namespace azcm::platform
