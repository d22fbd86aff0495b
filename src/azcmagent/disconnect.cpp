#include "azcmagent/disconnect.hpp"

#include "azcmagent/himds_calls.hpp"
#include "azcmagent/onboarding_control_plane.hpp"
#include "azcmagent/validation.hpp"
#include "common/config/agent_config.hpp"
#include "common/config/local_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/log/log.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

using nlohmann::json;

Result<void> cleanUpLocalIdentity(const Environment& env) {
    if (auto deactivated = himdsDeactivate(env); !deactivated) {
        // azcmagent runs as root, so it can remove what himds would have removed.
        spdlog::warn("DISCONNECT_LOCAL_FALLBACK {}", log::sanitize(deactivated.error().message));
        for (const char* name : {"machine.key", "machine.crt", "pending.key"}) {
            if (auto removed = fs::removeFile(env.paths.certsDir() / name); !removed) {
                return makeError(exitcode::kDisconnectFailed,
                                 "cannot remove " + (env.paths.certsDir() / name).string() + ": " +
                                     removed.error().message);
            }
        }
    }
    const auto config_path = env.paths.agentConfig();
    std::error_code error;
    if (std::filesystem::exists(config_path, error)) {
        auto backup = config_path;
        backup += ".bak";
        std::filesystem::rename(config_path, backup, error);
        if (error) {
            return makeError(exitcode::kLocalConfigUpdate,
                             "cannot move " + config_path.string() + " aside: " + error.message());
        }
    }
    spdlog::info("DISCONNECT_LOCAL_DONE");
    return ok();
}

Result<json>
runDisconnect(const DisconnectOptions& options, const Environment& env, const Console& console) {
    // agentconfig.json is world-readable: read it first so its tenant is the default.
    const auto config_path = env.paths.agentConfig();
    std::error_code exists_error;
    const bool has_config = std::filesystem::exists(config_path, exists_error);
    auto config = has_config ? config::loadAgentConfig(config_path)
                             : Result<config::AgentConfig>(makeError(exitcode::kGeneric, ""));
    if (!options.force_local_only) {
        BOOST_OUTCOME_TRY(checkCredentialFlags(options.credential, true));
    }
    if (!env.is_elevated()) {
        return makeError(
            exitcode::kNotElevated,
            "azcmagent disconnect requires elevated privileges: run it as root (sudo)");
    }
    std::optional<Credential> credential;
    if (!options.force_local_only && has_config && config) {
        auto credential_options = options.credential;
        if (credential_options.tenant_id.empty()) {
            credential_options.tenant_id = config.value().tenant_id;
        }
        BOOST_OUTCOME_TRY(resolved, resolveCredential(credential_options));
        credential = std::move(resolved);
    }

    if (options.force_local_only) {
        console.progress(1, 1, "Removing the local identity...");
        BOOST_OUTCOME_TRY(cleanUpLocalIdentity(env));
        const auto resource_id = config ? config.value().resourceId() : std::string();
        spdlog::info("DISCONNECT_OK local-only resource={}", log::sanitize(resource_id));
        return json{{"status", "Disconnected"},
                    {"message", has_config ? "Successfully disconnected the machine locally "
                                             "(the Azure resource was not touched)"
                                           : "The machine was not connected; local identity "
                                             "files were cleaned up"},
                    {"resourceId", resource_id},
                    {"localOnly", true}};
    }
    if (!has_config) {
        return makeError(exitcode::kGeneric,
                         "The machine is not connected to Azure: there is nothing to disconnect");
    }
    if (!config) {
        return makeError(exitcode::kLocalConfigRead,
                         "cannot read " + config_path.string() + " (" + config.error().message +
                             "); use --force-local-only to clean up locally");
    }
    const auto& agent = config.value();
    const std::string tenant =
        options.credential.tenant_id.empty() ? agent.tenant_id : options.credential.tenant_id;
    if (credential->kind != Credential::Kind::kAccessToken) {
        BOOST_OUTCOME_TRY(validateTenant(tenant));
    }
    BOOST_OUTCOME_TRY(proxy, configuredProxy(env));
    const ControlPlane control_plane(env, agent.cloud, proxy);
    spdlog::info("DISCONNECT_START resource={}", log::sanitize(agent.resourceId()));

    console.progress(1, 3, "Authenticating with Microsoft Entra ID...");
    BOOST_OUTCOME_TRY(token, control_plane.acquireToken(tenant, *credential));
    console.progress(2, 3, "Deleting the resource in Azure...");
    BOOST_OUTCOME_TRY(control_plane.deleteMachine(token, agent.subscription_id,
                                                  agent.resource_group, agent.resource_name));
    console.progress(3, 3, "Removing the local identity...");
    BOOST_OUTCOME_TRY(cleanUpLocalIdentity(env));
    spdlog::info("DISCONNECT_OK resource={}", log::sanitize(agent.resourceId()));
    return json{{"status", "Disconnected"},
                {"message", "Successfully disconnected the machine from Azure"},
                {"resourceId", agent.resourceId()},
                {"localOnly", false}};
}

} // namespace azcm::azcmagent
