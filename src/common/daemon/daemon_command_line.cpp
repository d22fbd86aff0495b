#include "common/daemon/daemon_command_line.hpp"

#include "common/agent_version.hpp"
#include "common/error.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

namespace azcm::daemon {

std::optional<int> handleDaemonCommandLine(int argc, char** argv, const std::string& description) {
    CLI::App app{description};
    bool show_version = false;
    app.add_flag("--version", show_version, "print the agent version and exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    }
    if (show_version) {
        std::cout << azcm::agentVersion() << "\n";
        return exitcode::kSuccess;
    }
    return std::nullopt;
}

} // namespace azcm::daemon
