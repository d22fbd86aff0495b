#pragma once
// The shared daemon run loop: one io_context on the main thread, SIGTERM and SIGINT (and
// POST /shutdown through requestShutdown) take one shutdown path, SIGHUP asks for a reload, the
// service manager hears "ready" only after the daemon says its listeners are bound, and gets
// watchdog pings from the loop thread when its unit asks for them (a hung loop stops pinging).
#include "common/error.hpp"
#include "common/platform/service_manager.hpp"

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

namespace azcm::daemon {

class DaemonRunner {
public:
    explicit DaemonRunner(std::string name,
                          platform::ServiceManager& manager = platform::systemServiceManager());

    boost::asio::io_context& context() { return io_; }
    // For blocking work (outbound HTTPS, key generation); post results back to context().
    boost::asio::thread_pool& workers() { return workers_; }

    // Stop callbacks run once, in reverse order of registration, on the io_context thread.
    void onShutdown(std::function<void()> stop);
    void onReload(std::function<void()> reload);

    // Call after every listener is bound: tells the service manager, logs DAEMON_READY and
    // starts the watchdog pings when the unit sets WatchdogSec.
    void notifyReady(const std::string& status);
    void requestShutdown();

    // Runs until shutdown; returns the process exit code (0 on an orderly stop).
    int run();

private:
    void waitForSignal();
    void pingWatchdogEvery(std::chrono::microseconds period);

    std::string name_;
    platform::ServiceManager& manager_;
    boost::asio::io_context io_{1};
    boost::asio::thread_pool workers_{2};
    boost::asio::signal_set signals_;
    boost::asio::steady_timer watchdog_{io_};
    std::vector<std::function<void()>> stops_;
    std::vector<std::function<void()>> reloads_;
    bool stopping_ = false;
};

// Sets umask 077 (docs/security.md); every daemon calls it first.
void applyDaemonUmask();

// The exit code of a daemon whose start failed: the CLI's "can't read local config" (70) when
// `error` says so, "init failed" (6) otherwise.
int startFailureExitCode(const Error& error);

// Why a daemon refuses to start when localconfig.json cannot be read or holds an invalid value
// (exit 70): it does not run with settings the administrator did not choose.
Error localConfigStartError(const Error& error);

} // namespace azcm::daemon
