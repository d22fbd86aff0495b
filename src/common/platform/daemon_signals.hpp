#pragma once
// The signals a daemon acts on. POSIX: SIGTERM and SIGINT stop it, SIGHUP reloads its
// configuration, SIGPIPE is ignored. Windows: the C runtime's SIGINT, SIGTERM and SIGBREAK (a
// console's Ctrl+C and Ctrl+Break) stop it; it has no reload signal (the service manager's stop
// control takes the same shutdown path, docs/windows.md) and no SIGPIPE (a write to a closed
// pipe fails with an error instead).
#include <string>

#include <boost/asio/signal_set.hpp>

namespace azcm::platform {

// Adds the stop signals and, where there is one, the reload signal to `signals`.
void addDaemonSignals(boost::asio::signal_set& signals);

// True for the reload signal (SIGHUP); false for every signal on Windows.
bool isReloadSignal(int signal_number);

// "SIGTERM", "SIGINT", ...; the number for others.
std::string signalName(int signal_number);

// Peers that hang up must not kill the daemon.
void ignoreBrokenPipeSignal();

} // namespace azcm::platform
