#include "common/platform/daemon_signals.hpp"

#include <csignal>

namespace azcm::platform {

void addDaemonSignals(boost::asio::signal_set& signals) {
    signals.add(SIGTERM);
    signals.add(SIGINT);
    signals.add(SIGBREAK);
}

bool isReloadSignal(int /*signal_number*/) {
    return false;
}

std::string signalName(int signal_number) {
    switch (signal_number) {
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGBREAK:
        return "SIGBREAK";
    default:
        return std::to_string(signal_number);
    }
}

void ignoreBrokenPipeSignal() {
    // Windows has no SIGPIPE.
}

} // namespace azcm::platform
