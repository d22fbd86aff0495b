#include "check_command.hpp"

namespace azcm::cli {

CLI::App* defineCheckCommand(CLI::App& app, CheckOptions& /*options*/) {
    return app.add_subcommand("check", "Check connectivity to the endpoints of the cloud (spec 1.7)");
}

Result<void> runCheck(const CheckOptions& /*options*/, const Environment& /*env*/,
                     const Console& /*console*/) {
    return makeError(exitcode::kGeneric, "azcmagent check is being written");
}

} // namespace azcm::cli
