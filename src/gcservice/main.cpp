// gcservice: the guest configuration daemon (gcad). All logic is in gcservice_core.
#include "daemon/daemon_command_line.hpp"
#include "daemon/daemon_runner.hpp"
#include "error.hpp"
#include "fs/atomic_file.hpp"
#include "gc_options.hpp"
#include "gc_service.hpp"
#include "log/log.hpp"
#include "paths/paths.hpp"
#include "platform/core_dumps.hpp"
#include "platform/cpu_limit.hpp"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    azcm::daemon::applyDaemonUmask();
    if (auto done = azcm::daemon::handleDaemonCommandLine(
            argc, argv, "gcservice: Azure Connected Machine agent guest configuration service")) {
        return *done;
    }
    // Holds tokens and proxy credentials: never in a core file.
    if (auto forbidden = azcm::platform::forbidCoreDumps(); !forbidden) {
        std::cerr << "gcservice: " << forbidden.error().message << "\n";
        return azcm::exitcode::kInitFailed;
    }

    try {
        const auto paths = azcm::Paths::fromEnvironment();
        auto options = azcm::gc::gcOptionsFromEnvironment();
        if (!options) {
            std::cerr << "gcservice: " << options.error().message << "\n";
            return azcm::exitcode::kInvalidArgument;
        }
        if (auto made =
                azcm::fs::ensureDirectory(paths.guestConfigAgentLog().parent_path(), {0755, {}});
            !made) {
            std::cerr << "gcservice: " << made.error().message << "\n";
            return azcm::exitcode::kInitFailed;
        }
        azcm::log::init({"gcservice", paths.guestConfigAgentLog(), true, spdlog::level::info});
        spdlog::info("DAEMON_STARTING daemon=gcservice version={} root={}", AZCM_AGENT_VERSION,
                     paths.root().string());

        azcm::daemon::DaemonRunner runner("gcservice");
        auto limiter = azcm::platform::CpuLimiter::fromEnvironment("gcad");
        azcm::gc::GcServiceParts parts{azcm::gc::makeHttpsControlPlane(paths),
                                       azcm::gc::makeLinuxBackend(), limiter.daemonGroup(),
                                       azcm::gc::parseBuildDate(AZCM_GC_BUILD_DATE)};
        azcm::gc::GcService service(runner.context(), runner.workers(), paths, options.value(),
                                    std::move(parts));
        if (auto started = service.start(); !started) {
            spdlog::critical("DAEMON_START_FAILED {}",
                             azcm::log::sanitize(started.error().message));
            return azcm::daemon::startFailureExitCode(started.error());
        }
        runner.onShutdown([&service] { service.stop(); });
        runner.onReload([&service] {
            if (auto reloaded = service.reloadLocalConfig(); !reloaded) {
                spdlog::warn("CFG_RELOAD_FAILED {}", azcm::log::sanitize(reloaded.error().message));
            }
        });
        runner.notifyReady("gcservice ready");
        return runner.run();
    } catch (const std::exception& e) {
        spdlog::critical("DAEMON_START_FAILED {}", azcm::log::sanitize(e.what()));
        std::cerr << "gcservice: " << e.what() << "\n";
        return azcm::exitcode::kInitFailed;
    }
}
