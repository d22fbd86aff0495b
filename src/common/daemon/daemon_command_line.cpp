#include "common/daemon/daemon_command_line.hpp"

#include "common/agent_version.hpp"
#include "common/error.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

namespace azcm::daemon {

DaemonCommandLine parseDaemonCommandLine(int argc, char** argv, const std::string& description) {
    CLI::App app{description};
    bool show_version = false;
    DaemonCommandLine parsed;
    app.add_flag("--version", show_version, "print the agent version and exit");
    app.add_flag("--console", parsed.console,
                 "run in the foreground, not as a Windows service (a Linux daemon always runs in "
                 "the foreground)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        parsed.exit_code = app.exit(error);
        return parsed;
    }
    if (show_version) {
        std::cout << azcm::agentVersion() << "\n";
        parsed.exit_code = exitcode::kSuccess;
    }
    return parsed;
}

} // namespace azcm::daemon
