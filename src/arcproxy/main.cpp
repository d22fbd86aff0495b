// arcproxy: the local forward proxy daemon. All logic is in arcproxy_core (arcproxy_service.hpp).
#include "arcproxy_service.hpp"
#include "daemon/daemon_command_line.hpp"
#include "daemon/daemon_runner.hpp"
#include "error.hpp"
#include "fs/atomic_file.hpp"
#include "log/log.hpp"
#include "paths/paths.hpp"
#include "platform/core_dumps.hpp"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    azcm::daemon::applyDaemonUmask();
    if (auto done = azcm::daemon::handleDaemonCommandLine(
            argc, argv, "arcproxy: Azure Connected Machine agent local forward proxy")) {
        return *done;
    }
    // Holds the upstream proxy credentials: never in a core file.
    if (auto forbidden = azcm::platform::forbidCoreDumps(); !forbidden) {
        std::cerr << "arcproxy: " << forbidden.error().message << "\n";
        return azcm::exitcode::kInitFailed;
    }
    try {
        const auto paths = azcm::Paths::fromEnvironment();
        auto options = azcm::arcproxy::optionsFromEnvironment(paths);
        if (!options) {
            std::cerr << "arcproxy: " << options.error().message << "\n";
            return azcm::exitcode::kInvalidArgument;
        }
        // Normally made by the package (tmpfiles.d); a sandbox or a first start makes them here.
        for (const auto& directory : {paths.agentDataDir(), paths.socketsDir(), paths.logDir()}) {
            if (auto made = azcm::fs::ensureDirectory(directory, {0755, {}}); !made) {
                std::cerr << "arcproxy: " << made.error().message << "\n";
                return azcm::exitcode::kInitFailed;
            }
        }
        azcm::log::init(azcm::log::daemonLogOptions(paths, "arcproxy"));
        spdlog::info("DAEMON_STARTING daemon=arcproxy version={} root={}", AZCM_AGENT_VERSION,
                     paths.root().string());
        azcm::daemon::DaemonRunner runner("arcproxy");
        options.value().request_shutdown = [&runner] { runner.requestShutdown(); };
        auto service = azcm::arcproxy::ArcproxyService::create(runner.context(), paths,
                                                               std::move(options).value());
        if (auto started = service->start(); !started) {
            spdlog::critical("DAEMON_START_FAILED {}",
                             azcm::log::sanitize(started.error().message));
            std::cerr << "arcproxy: " << started.error().message << "\n";
            return azcm::daemon::startFailureExitCode(started.error());
        }
        runner.onShutdown([&service] { service->stop(); });
        runner.onReload([&service] {
            if (auto reloaded = service->reload(); !reloaded) {
                spdlog::warn("CFG_RELOAD_FAILED {}", azcm::log::sanitize(reloaded.error().message));
            }
        });
        runner.notifyReady("proxyPort=" + std::to_string(service->port()));
        return runner.run();
    } catch (const std::exception& e) {
        spdlog::critical("DAEMON_START_FAILED {}", azcm::log::sanitize(e.what()));
        std::cerr << "arcproxy: " << e.what() << "\n";
        return azcm::exitcode::kInitFailed;
    }
}
