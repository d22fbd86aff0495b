#include "common/platform/daemon_signals.hpp"

#include <csignal>

namespace azcm::platform {

void addDaemonSignals(boost::asio::signal_set& signals) {
    signals.add(SIGTERM);
    signals.add(SIGINT);
    signals.add(SIGHUP);
}

bool isReloadSignal(int signal_number) {
    return signal_number == SIGHUP;
}

std::string signalName(int signal_number) {
    switch (signal_number) {
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGHUP:
        return "SIGHUP";
    default:
        return std::to_string(signal_number);
    }
}

void ignoreBrokenPipeSignal() {
    std::signal(SIGPIPE, SIG_IGN); // NOLINT(cert-err33-c): the previous handler is not needed
}

} // namespace azcm::platform
