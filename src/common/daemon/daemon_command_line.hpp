#pragma once
// Every daemon's command line: no arguments but --version, --console (and CLI11's --help).
// Configuration comes from localconfig.json and the sandbox variables (docs/architecture.md),
// never from flags.
#include <optional>
#include <string>

namespace azcm::daemon {

struct DaemonCommandLine {
    // Set when main() must return at once: 0 after printing the agent version or the help,
    // CLI11's code (with a message on stderr) for anything else on the command line.
    std::optional<int> exit_code;
    // Run in the foreground, not as a service (Windows; a Linux daemon always does).
    bool console = false;
};

DaemonCommandLine parseDaemonCommandLine(int argc, char** argv, const std::string& description);

} // namespace azcm::daemon
