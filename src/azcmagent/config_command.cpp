#include "config_command.hpp"

namespace azcm::cli {

CLI::App* defineConfigCommand(CLI::App& app, ConfigOptions& /*options*/) {
    return app.add_subcommand("config", "Manage the local configuration (spec section 2)");
}

Result<void> runConfig(const ConfigOptions& /*options*/, const Environment& /*env*/,
                     const Console& /*console*/) {
    return makeError(exitcode::kGeneric, "azcmagent config is being written");
}

} // namespace azcm::cli
