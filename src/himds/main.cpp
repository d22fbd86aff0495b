// himds: the machine identity daemon. All logic is in himds_core (himds_service.hpp).
#include "daemon/daemon_command_line.hpp"
#include "daemon/daemon_runner.hpp"
#include "error.hpp"
#include "himds_service.hpp"
#include "log/log.hpp"
#include "paths/paths.hpp"
#include "platform/core_dumps.hpp"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    azcm::daemon::applyDaemonUmask();
    if (auto done = azcm::daemon::handleDaemonCommandLine(
            argc, argv, "himds: Azure Connected Machine agent identity service")) {
        return *done;
    }
    // Holds the machine key, tokens and proxy credentials: never in a core file or readable through
    // /proc.
    if (auto forbidden = azcm::platform::forbidCoreDumps(); !forbidden) {
        std::cerr << "himds: " << forbidden.error().message << "\n";
        return azcm::exitcode::kInitFailed;
    }

    try {
        const auto paths = azcm::Paths::fromEnvironment();
        auto options = azcm::himds::optionsFromEnvironment();
        if (auto made = azcm::himds::ensureDirectories(paths, options.token_group); !made) {
            std::cerr << "himds: " << made.error().message << "\n";
            return azcm::exitcode::kInitFailed;
        }
        azcm::log::init(azcm::log::daemonLogOptions(paths, "himds"));
        spdlog::info("DAEMON_STARTING daemon=himds version={} root={}", AZCM_AGENT_VERSION,
                     paths.root().string());

        azcm::daemon::DaemonRunner runner("himds");
        options.request_shutdown = [&runner] { runner.requestShutdown(); };
        const auto interval = options.heartbeat_interval;
        auto service = azcm::himds::HimdsService::create(runner.context(), runner.workers(), paths,
                                                         std::move(options),
                                                         azcm::himds::makeHttpsIdentityClient());
        if (auto started = service->start(); !started) {
            spdlog::critical("DAEMON_START_FAILED {}",
                             azcm::log::sanitize(started.error().message));
            return azcm::daemon::startFailureExitCode(started.error());
        }
        runner.onShutdown([&service] { service->stop(); });
        runner.onReload([&service] {
            if (auto reloaded = service->reloadLocalConfig(); !reloaded) {
                spdlog::warn("CFG_RELOAD_FAILED {}", azcm::log::sanitize(reloaded.error().message));
            }
        });
        runner.notifyReady("heartbeatInterval=" + std::to_string(interval.count()) +
                           "s imdsPort=" + std::to_string(service->imdsPort()));
        return runner.run();
    } catch (const std::exception& e) {
        spdlog::critical("DAEMON_START_FAILED {}", azcm::log::sanitize(e.what()));
        std::cerr << "himds: " << e.what() << "\n";
        return azcm::exitcode::kInitFailed;
    }
}
