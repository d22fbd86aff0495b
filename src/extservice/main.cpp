// extservice: the extension manager daemon. All logic is in extservice_core (ext_service.hpp).
#include "daemon/daemon_command_line.hpp"
#include "daemon/daemon_runner.hpp"
#include "error.hpp"
#include "ext_service.hpp"
#include "log/log.hpp"
#include "paths/paths.hpp"
#include "platform/core_dumps.hpp"

#include <cstdlib>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    azcm::daemon::applyDaemonUmask();
    if (auto done = azcm::daemon::handleDaemonCommandLine(
            argc, argv, "extservice: Azure Connected Machine agent extension manager")) {
        return *done;
    }
    // Holds the settings key, tokens and proxy credentials: never in a core file or readable
    // through /proc.
    if (auto forbidden = azcm::platform::forbidCoreDumps(); !forbidden) {
        std::cerr << "extservice: " << forbidden.error().message << "\n";
        return azcm::exitcode::kInitFailed;
    }

    try {
        const auto paths = azcm::Paths::fromEnvironment();
        auto options = azcm::extservice::optionsFromEnvironment();
        if (auto made = azcm::extservice::ensureDirectories(paths); !made) {
            std::cerr << "extservice: " << made.error().message << "\n";
            return azcm::exitcode::kInitFailed;
        }
        azcm::log::init({"extservice", paths.extensionManagerLog(), true, spdlog::level::info});
        spdlog::info("DAEMON_STARTING daemon=extservice version={} root={}", AZCM_AGENT_VERSION,
                     paths.root().string());

        azcm::daemon::DaemonRunner runner("extservice");
        auto service = azcm::extservice::ExtService::create(
            runner.context(), runner.workers(), paths, std::move(options),
            [&runner] { runner.requestShutdown(); });
        if (auto started = service->start(); !started) {
            spdlog::critical("DAEMON_START_FAILED {}",
                             azcm::log::sanitize(started.error().message));
            return azcm::daemon::startFailureExitCode(started.error());
        }
        bool stopped_cleanly = true;
        runner.onShutdown([&service, &stopped_cleanly] { stopped_cleanly = service->stop(); });
        runner.onReload([&service] {
            if (auto reloaded = service->reloadLocalConfig(); !reloaded) {
                spdlog::warn("CFG_RELOAD_FAILED {}", azcm::log::sanitize(reloaded.error().message));
            }
        });
        runner.notifyReady("socket=" + paths.socketFor("extservice").string());
        const int code = runner.run();
        if (!stopped_cleanly) {
            // The loop thread is blocked in a long-poll or a handler command: its state is
            // crash-safe, so leave without unwinding objects it still uses.
            spdlog::default_logger()->flush();
            std::_Exit(code);
        }
        return code;
    } catch (const std::exception& e) {
        spdlog::critical("DAEMON_START_FAILED {}", azcm::log::sanitize(e.what()));
        std::cerr << "extservice: " << e.what() << "\n";
        return azcm::exitcode::kInitFailed;
    }
}
