#pragma once
// The whole life of a daemon process, the same for himds, gcservice, extservice and arcproxy
// (docs/architecture.md, "Daemon skeleton"): umask 077, the command line, the service manager's
// way of running a process (platform/service_process.hpp), core dumps off, paths,
// options from the environment, directories, the log, the service's start, readiness, SIGHUP
// reload, shutdown and the exit code. A daemon's main() only names its DaemonSpec.
//
// Exit codes: 0 after an orderly stop (or --version/--help); CLI11's code for a bad command line;
// DaemonSpec::bad_option_exit_code for a bad environment variable; 70 when localconfig.json is
// unusable; 6 for any other start failure. Every start failure is written to stderr and, once the
// log is open, to the log.
#include "common/error.hpp"
#include "common/log/log.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/service_manager.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

namespace azcm::daemon {

// What the skeleton drives of a daemon's service.
class DaemonService {
public:
    DaemonService() = default;
    DaemonService(const DaemonService&) = delete;
    DaemonService& operator=(const DaemonService&) = delete;
    DaemonService(DaemonService&&) = delete;
    DaemonService& operator=(DaemonService&&) = delete;
    virtual ~DaemonService() = default;
    // Binds the listeners and starts the work; an error ends the process before "ready".
    virtual Result<void> start() = 0;
    // Closes the listeners. false: the loop thread may still be blocked in work it cannot abandon
    // (a long-poll, a handler command); the process then leaves without unwinding the objects that
    // work uses, which is safe because all the daemon's state on disk is crash-safe.
    virtual bool stop() = 0;
    // SIGHUP: reads localconfig.json again; on an error the old settings stay in force.
    virtual Result<void> reload() = 0;
    // The one-line status the service manager shows once the daemon is ready.
    virtual std::string readyStatus() const = 0;
};

struct DaemonContext {
    const Paths& paths;
    boost::asio::io_context& io;
    boost::asio::thread_pool& workers;
    // Takes the same path as SIGTERM (for POST /shutdown).
    std::function<void()> request_shutdown;
};

template <class Options> struct DaemonSpec {
    std::string name;        // "himds": the stderr prefix, the logger, the DAEMON_* log lines
    std::string description; // the first line of --help
    // The name Windows' service manager and Event Log know the daemon by (docs/windows.md);
    // empty: `name`.
    std::string service_name;
    // The exit code when an option in the environment is refused.
    int bad_option_exit_code = exitcode::kInvalidArgument;
    std::function<Result<Options>(const Paths&)> read_options;
    // Made before the log is opened, so the log does not create them under the umask.
    std::function<Result<void>(const Paths&, const Options&)> make_directories;
    std::function<log::LogOptions(const Paths&)> log_options;
    std::function<std::unique_ptr<DaemonService>(DaemonContext&, Options)> create;
    // Tests leave the process dumpable and use their own service manager.
    bool forbid_core_dumps = true;
    platform::ServiceManager* service_manager = nullptr; // nullptr: systemServiceManager()
};

// The steps of a DaemonSpec with its options type erased (runDaemon below builds them).
struct DaemonSteps {
    std::string name;
    std::string description;
    std::string service_name;
    int bad_option_exit_code = exitcode::kInvalidArgument;
    std::function<Result<void>(const Paths&)> read_options;
    std::function<Result<void>(const Paths&)> make_directories;
    std::function<log::LogOptions(const Paths&)> log_options;
    std::function<std::unique_ptr<DaemonService>(DaemonContext&)> create;
    bool forbid_core_dumps = true;
    platform::ServiceManager* service_manager = nullptr;
};

// Runs the daemon to its end and returns the process exit code.
int runDaemon(int argc, char** argv, DaemonSteps steps);

template <class Options> int runDaemon(int argc, char** argv, DaemonSpec<Options> spec) {
    auto options = std::make_shared<std::optional<Options>>();
    DaemonSteps steps;
    steps.name = std::move(spec.name);
    steps.description = std::move(spec.description);
    steps.service_name = std::move(spec.service_name);
    steps.bad_option_exit_code = spec.bad_option_exit_code;
    steps.read_options = [options,
                          read = std::move(spec.read_options)](const Paths& paths) -> Result<void> {
        BOOST_OUTCOME_TRY(value, read(paths));
        options->emplace(std::move(value));
        return ok();
    };
    steps.make_directories = [options, make = std::move(spec.make_directories)](
                                 const Paths& paths) { return make(paths, **options); };
    steps.log_options = std::move(spec.log_options);
    steps.create = [options, create = std::move(spec.create)](DaemonContext& context) {
        return create(context, std::move(**options));
    };
    steps.forbid_core_dumps = spec.forbid_core_dumps;
    steps.service_manager = spec.service_manager;
    return runDaemon(argc, argv, std::move(steps));
}

} // namespace azcm::daemon
