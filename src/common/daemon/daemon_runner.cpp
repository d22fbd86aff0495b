#include "common/daemon/daemon_runner.hpp"

#include "common/platform/daemon_signals.hpp"
#include "common/platform/process_setup.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace azcm::daemon {

void applyDaemonUmask() {
    platform::restrictNewFilesToOwner();
}

int startFailureExitCode(const Error& error) {
    return error.code == exitcode::kLocalConfigRead ? exitcode::kLocalConfigRead
                                                    : exitcode::kInitFailed;
}

Error localConfigStartError(const Error& error) {
    return makeError(exitcode::kLocalConfigRead,
                     "AZCM0070: cannot start with an unusable local configuration: " +
                         error.message);
}

DaemonRunner::DaemonRunner(std::string name, platform::ServiceManager& manager)
    : name_(std::move(name)), manager_(manager), signals_(io_) {
    platform::addDaemonSignals(signals_);
    platform::ignoreBrokenPipeSignal();
    waitForSignal();
}

void DaemonRunner::waitForSignal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal_number) {
        if (ec) {
            return;
        }
        if (platform::isReloadSignal(signal_number)) {
            spdlog::info("DAEMON_RELOAD signal={}", platform::signalName(signal_number));
            for (auto& reload : reloads_) {
                reload();
            }
            waitForSignal();
            return;
        }
        spdlog::info("DAEMON_SIGNAL signal={}", platform::signalName(signal_number));
        requestShutdown();
    });
}

void DaemonRunner::onShutdown(std::function<void()> stop) {
    stops_.push_back(std::move(stop));
}

void DaemonRunner::onReload(std::function<void()> reload) {
    reloads_.push_back(std::move(reload));
}

void DaemonRunner::notifyReady(const std::string& status) {
    manager_.notifyReady(status);
    spdlog::info("DAEMON_READY daemon={} {}", name_, status);
    if (const auto interval = manager_.watchdogInterval()) {
        // Twice per interval, as systemd recommends: one late ping is not a restart.
        pingWatchdogEvery(*interval / 2);
    }
}

void DaemonRunner::pingWatchdogEvery(std::chrono::microseconds period) {
    if (stopping_) {
        return;
    }
    manager_.pingWatchdog();
    watchdog_.expires_after(period);
    watchdog_.async_wait([this, period](const boost::system::error_code& ec) {
        if (!ec) {
            pingWatchdogEvery(period);
        }
    });
}

void DaemonRunner::requestShutdown() {
    boost::asio::post(io_, [this] {
        if (stopping_) {
            return;
        }
        stopping_ = true;
        manager_.notifyStopping();
        spdlog::info("DAEMON_STOPPING daemon={}", name_);
        boost::system::error_code ignored;
        signals_.cancel(ignored);
        watchdog_.cancel();
        for (auto it = stops_.rbegin(); it != stops_.rend(); ++it) {
            (*it)();
        }
    });
}

int DaemonRunner::run() {
    io_.run();
    workers_.join();
    spdlog::info("DAEMON_STOPPED daemon={}", name_);
    return 0;
}

} // namespace azcm::daemon
