#include "azcmagent/show_command.hpp"

#include "azcmagent/himds_calls.hpp"
#include "azcmagent/show.hpp"
#include "common/config/agent_config.hpp"
#include "common/config/local_config.hpp"

#include <filesystem>

namespace azcm::azcmagent {

Result<void> runShow(const ShowOptions& options, const Environment& env, const Console& console) {
    ShowInput input;
    const auto config_path = env.paths.agentConfig();
    std::error_code error;
    if (std::filesystem::exists(config_path, error)) {
        auto config = config::loadAgentConfig(config_path);
        if (!config) {
            return makeError(exitcode::kLocalConfigRead,
                             "cannot read " + config_path.string() + ": " + config.error().message);
        }
        input.agent_config = std::move(config).value();
    }
    input.himds_status = himdsStatus(env);
    input.arcproxy_status = daemonStatus(env, "arcproxy");
    input.extservice_status = daemonStatus(env, "extservice");
    input.gcservice_status = daemonStatus(env, "gcservice");
    // Shown redacted: no secret is read, so any user may run show.
    if (auto local =
            config::loadLocalConfig(env.paths.localConfig(), config::ProxyCredentials::kRedacted);
        local) {
        input.local_config = std::move(local).value();
    } else {
        console.warning("cannot read local config: " + local.error().message);
    }
    if (env.machine_facts) {
        input.facts = env.machine_facts();
    }
    input.agent_logfile = env.paths.logFile("himds").string();
    input.include_os = options.os;

    BOOST_OUTCOME_TRY(fields, selectShowFields(buildShowFields(input), options.properties));
    if (console.jsonMode()) {
        console.printJson(formatShowJson(fields));
    } else {
        auto text = formatShowText(fields);
        if (!text.empty() && text.back() == '\n') {
            text.pop_back();
        }
        console.line(text);
    }
    return ok();
}

} // namespace azcm::azcmagent
