// The service control manager as the daemon's ServiceManager: the daemon's readiness and stop
// become SetServiceStatus reports of the lifecycle the service thread made active. Outside the
// SCM (a console run, a test) no lifecycle is active and every call does nothing.
#include "common/platform/service_manager.hpp"
#include "common/platform/windows/windows_service.hpp"

namespace azcm::platform {

namespace windows {

void ScmServiceManager::notifyReady(const std::string& status) {
    if (auto* lifecycle = activeServiceLifecycle()) {
        lifecycle->reportRunning(status);
    }
}

void ScmServiceManager::notifyStopping() {
    if (auto* lifecycle = activeServiceLifecycle()) {
        lifecycle->reportStopPending();
    }
}

std::optional<std::chrono::microseconds> ScmServiceManager::watchdogInterval() {
    // The SCM watches only the pending states (checkpoints within the wait hint); it has no
    // liveness ping for a running service, so the daemon's loop sends none.
    return std::nullopt;
}

void ScmServiceManager::pingWatchdog() {
    // Only meaningful while a start or stop is pending: the next checkpoint tells the SCM the
    // service is not hung. While RUNNING the lifecycle ignores it.
    if (auto* lifecycle = activeServiceLifecycle()) {
        lifecycle->reportProgress();
    }
}

} // namespace windows

std::string installedServiceName(std::string_view daemon) {
    if (daemon == "gcservice") {
        return "GCArcService";
    }
    if (daemon == "extservice") {
        return "ExtensionService";
    }
    return std::string(daemon); // himds and arcproxy keep their names
}

ServiceManager& systemServiceManager() {
    static windows::ScmServiceManager manager;
    return manager;
}

} // namespace azcm::platform
