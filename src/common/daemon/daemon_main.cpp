#include "common/daemon/daemon_main.hpp"

#include "common/agent_version.hpp"
#include "common/daemon/daemon_command_line.hpp"
#include "common/daemon/daemon_runner.hpp"
#include "common/platform/core_dumps.hpp"
#include "common/platform/service_process.hpp"

#include <cstdlib>
#include <exception>
#include <iostream>

#include <spdlog/spdlog.h>

namespace azcm::daemon {

namespace {

// Before the log is open: stderr only (systemd puts it in the journal).
int refuseEarly(const std::string& daemon, const std::string& message, int code) {
    std::cerr << daemon << ": " << message << "\n";
    return code;
}

// Once the log is open: the log and stderr, so neither an administrator reading the log file nor
// one reading `systemctl status` misses why the daemon did not start.
int refuseStart(const std::string& daemon, const std::string& message, int code) {
    spdlog::critical("DAEMON_START_FAILED {}", log::sanitize(message));
    return refuseEarly(daemon, message, code);
}

int runStarted(DaemonSteps& steps, const Paths& paths, platform::StopRequests& stops) {
    DaemonRunner runner(steps.name, steps.service_manager != nullptr
                                        ? *steps.service_manager
                                        : platform::systemServiceManager());
    // Declared after the runner, so it unsubscribes before the runner's loop is gone.
    const auto stop_subscription = stops.subscribe([&runner] { runner.requestShutdown(); });
    DaemonContext context{paths, runner.context(), runner.workers(),
                          [&runner] { runner.requestShutdown(); }};
    auto service = steps.create(context);
    if (auto started = service->start(); !started) {
        return refuseStart(steps.name, started.error().message,
                           startFailureExitCode(started.error()));
    }
    bool stopped_cleanly = true;
    runner.onShutdown([&service, &stopped_cleanly] { stopped_cleanly = service->stop(); });
    runner.onReload([&service] {
        if (auto reloaded = service->reload(); !reloaded) {
            spdlog::warn("CFG_RELOAD_FAILED {}", log::sanitize(reloaded.error().message));
        }
    });
    runner.notifyReady(service->readyStatus());
    const int code = runner.run();
    if (!stopped_cleanly) {
        spdlog::default_logger()->flush();
        std::_Exit(code);
    }
    return code;
}

int runBody(DaemonSteps& steps, platform::StopRequests& stops) {
    // Every daemon holds tokens or credentials: never in a core file or readable through /proc.
    if (steps.forbid_core_dumps) {
        if (auto forbidden = platform::forbidCoreDumps(); !forbidden) {
            return refuseEarly(steps.name, forbidden.error().message, exitcode::kInitFailed);
        }
    }
    bool log_open = false;
    try {
        const auto paths = Paths::fromEnvironment();
        if (auto read = steps.read_options(paths); !read) {
            return refuseEarly(steps.name, read.error().message, steps.bad_option_exit_code);
        }
        if (auto made = steps.make_directories(paths); !made) {
            return refuseEarly(steps.name, made.error().message, exitcode::kInitFailed);
        }
        log::init(steps.log_options(paths));
        log_open = true;
        spdlog::info("DAEMON_STARTING daemon={} version={} root={}", steps.name,
                     azcm::agentVersion(), paths.root().string());
        return runStarted(steps, paths, stops);
    } catch (const std::exception& e) {
        return log_open ? refuseStart(steps.name, e.what(), exitcode::kInitFailed)
                        : refuseEarly(steps.name, e.what(), exitcode::kInitFailed);
    }
}

} // namespace

int runDaemon(int argc, char** argv, DaemonSteps steps) {
    applyDaemonUmask();
    const auto command_line = parseDaemonCommandLine(argc, argv, steps.description);
    if (command_line.exit_code) {
        return *command_line.exit_code;
    }
    const std::string& service_name = steps.service_name.empty() ? steps.name : steps.service_name;
    return platform::runServiceProcess(
        service_name, command_line.console,
        [&steps](platform::StopRequests& stops) { return runBody(steps, stops); });
}

} // namespace azcm::daemon
