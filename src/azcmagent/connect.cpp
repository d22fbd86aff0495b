#include "azcmagent/connect.hpp"

#include "azcmagent/clouds.hpp"
#include "azcmagent/himds_calls.hpp"
#include "azcmagent/onboarding_control_plane.hpp"
#include "azcmagent/responses.hpp"
#include "azcmagent/tags.hpp"
#include "azcmagent/validation.hpp"
#include "common/config/local_config.hpp"
#include "common/crypto/encoding.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/log/log.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

using nlohmann::json;

namespace {

constexpr int kSteps = 6;

std::string stringAt(const json& object, const char* outer, const char* inner) {
    if (auto it = object.find(outer); it != object.end() && it->is_object()) {
        if (auto field = it->find(inner); field != it->end() && field->is_string()) {
            return field->get<std::string>();
        }
    }
    return {};
}

// After the ARM resource exists, a failure must not leave a half-onboarded machine behind: the
// resource is deleted (best effort) and himds drops the pending key.
void rollBack(const Environment& env,
              const ControlPlane& control_plane,
              const std::string& token,
              const config::AgentConfig& config,
              bool delete_resource) {
    if (delete_resource) {
        auto deleted = control_plane.deleteMachine(token, config.subscription_id,
                                                   config.resource_group, config.resource_name);
        if (!deleted) {
            spdlog::warn("CONNECT_ROLLBACK_DELETE_FAILED {}",
                         log::sanitize(deleted.error().message));
        }
    }
    auto deactivated = himdsDeactivate(env);
    if (!deactivated) {
        spdlog::warn("CONNECT_ROLLBACK_DEACTIVATE_FAILED {}",
                     log::sanitize(deactivated.error().message));
    }
}

} // namespace

Result<ConnectPlan> planConnect(const ConnectOptions& options, const Environment& env) {
    // Phase 1: the flags alone, no file read, so a mistake is reported before anything else.
    const bool has_cloud_config = !options.cloud_config.empty();
    config::CloudConfig cloud;
    if (!has_cloud_config) {
        BOOST_OUTCOME_TRY(builtin, builtinCloud(options.cloud));
        cloud = std::move(builtin);
    }
    std::string missing;
    auto require = [&missing](const std::string& value, const char* flag) {
        if (value.empty()) {
            missing += missing.empty() ? flag : std::string(", ") + flag;
        }
    };
    if (!has_cloud_config) {
        require(options.subscription_id, "--subscription-id");
    }
    require(options.resource_group, "--resource-group");
    require(options.location, "--location");
    if (!missing.empty()) {
        return makeError(exitcode::kMissingParameter, "missing required flag(s): " + missing);
    }
    if (!options.subscription_id.empty()) {
        BOOST_OUTCOME_TRY(validateSubscription(options.subscription_id));
    }
    if (!options.credential.tenant_id.empty()) {
        BOOST_OUTCOME_TRY(validateTenant(options.credential.tenant_id));
    }
    BOOST_OUTCOME_TRY(validateResourceGroup(options.resource_group));
    BOOST_OUTCOME_TRY(location, normalizeLocation(options.location));

    std::string name = options.resource_name;
    if (name.empty()) {
        name = env.host_name();
        if (name.empty()) {
            return makeError(exitcode::kResourceName,
                             "cannot determine the host name; use --resource-name");
        }
    }
    BOOST_OUTCOME_TRY(validateResourceName(name));
    BOOST_OUTCOME_TRY(tags, parseTags(options.tags));

    std::string correlation_id = options.correlation_id;
    if (correlation_id.empty()) {
        correlation_id = crypto::randomGuid();
    } else if (!isGuid(correlation_id)) {
        return makeError(exitcode::kInvalidArgument, "--correlation-id must be a GUID");
    }
    if (!options.private_link_scope.empty() &&
        (options.private_link_scope.rfind("/subscriptions/", 0) != 0 ||
         options.private_link_scope.find_first_of(" \t\r\n?#") != std::string::npos)) {
        return makeError(exitcode::kInvalidArgument,
                         "--private-link-scope must be a resource ID (/subscriptions/...)");
    }
    BOOST_OUTCOME_TRY(checkCredentialFlags(options.credential, has_cloud_config));

    // Phase 2: only root may go on; the cloud config and a certificate file are typically
    // readable by root only, so they are read after the check.
    if (!env.is_elevated()) {
        return makeError(exitcode::kNotElevated,
                         "azcmagent connect requires elevated privileges: run it as root (sudo)");
    }
    if (has_cloud_config) {
        auto loaded = config::loadCloudConfig(options.cloud_config);
        if (!loaded) {
            return makeError(exitcode::kCloudConfig, "cannot use --cloud-config " +
                                                         options.cloud_config + ": " +
                                                         loaded.error().message);
        }
        cloud = std::move(loaded).value();
    }
    CredentialOptions credential_options = options.credential;
    if (credential_options.tenant_id.empty()) {
        credential_options.tenant_id = cloud.tenant_id;
    }
    const std::string subscription =
        options.subscription_id.empty() ? cloud.subscription_id : options.subscription_id;
    if (subscription.empty()) {
        return makeError(exitcode::kMissingParameter,
                         "missing required flag: --subscription-id (the cloud config has no "
                         "default)");
    }
    BOOST_OUTCOME_TRY(validateSubscription(subscription));
    BOOST_OUTCOME_TRY(credential, resolveCredential(credential_options));
    std::string tenant = credential_options.tenant_id;
    if (tenant.empty() && credential.kind == Credential::Kind::kAccessToken) {
        tenant = tenantOfAccessToken(credential.access_token);
    }
    if (tenant.empty()) {
        return makeError(exitcode::kMissingParameter, "missing required flag: --tenant-id");
    }
    BOOST_OUTCOME_TRY(validateTenant(tenant));

    ConnectPlan plan;
    plan.credential = std::move(credential);
    plan.config.tenant_id = tenant;
    plan.config.subscription_id = subscription;
    plan.config.resource_group = options.resource_group;
    plan.config.resource_name = name;
    plan.config.location = location;
    plan.config.correlation_id = correlation_id;
    plan.config.private_link_scope = options.private_link_scope;
    plan.config.tags = std::move(tags);
    plan.config.cloud = std::move(cloud);
    return plan;
}

Result<json>
runConnect(const ConnectOptions& options, const Environment& env, const Console& console) {
    BOOST_OUTCOME_TRY(plan, planConnect(options, env));
    auto& config = plan.config;

    const auto config_path = env.paths.agentConfig();
    std::error_code exists_error;
    if (std::filesystem::exists(config_path, exists_error)) {
        auto existing = config::loadAgentConfig(config_path);
        if (existing) {
            return makeError(exitcode::kAlreadyConnected,
                             "The machine is already connected to Azure as " +
                                 existing.value().resourceId() +
                                 ". Run 'azcmagent disconnect' first to connect it again");
        }
        return makeError(exitcode::kLocalConfigRead,
                         "the existing " + config_path.string() + " cannot be read (" +
                             existing.error().message +
                             "); run 'azcmagent disconnect --force-local-only' to reset it");
    }
    if (env.is_azure_vm() && env.get_env("MSFT_ARC_TEST").value_or("") != "true") {
        return makeError(exitcode::kAzureVm,
                         "This machine is an Azure virtual machine; Azure Arc-enabled servers "
                         "is not supported on it (set MSFT_ARC_TEST=true only to evaluate)");
    }
    BOOST_OUTCOME_TRY(proxy, configuredProxy(env));
    const ControlPlane control_plane(env, config.cloud, proxy);
    spdlog::info("CONNECT_START resource={} cloud={} correlationId={}",
                 log::sanitize(config.resourceId()), log::sanitize(config.cloud.name),
                 config.correlation_id);

    console.progress(1, kSteps, "Testing connectivity to endpoints...");
    if (auto reachable = control_plane.checkConnectivity(config.tenant_id); !reachable) {
        if (!options.ignore_network_check) {
            return reachable.error();
        }
        console.warning("network check failed, continuing (--ignore-network-check): " +
                        reachable.error().message);
    }

    console.progress(2, kSteps, "Authenticating with Microsoft Entra ID...");
    BOOST_OUTCOME_TRY(token, control_plane.acquireToken(config.tenant_id, plan.credential));

    console.progress(3, kSteps, "Generating the machine key pair...");
    BOOST_OUTCOME_TRY(keys, himdsGenerateKeys(env, config.resource_name));

    console.progress(4, kSteps, "Creating the resource in Azure...");
    MachineRequest request;
    request.subscription_id = config.subscription_id;
    request.resource_group = config.resource_group;
    request.resource_name = config.resource_name;
    request.location = config.location;
    request.tags = config.tags;
    request.client_public_key = keys.public_key;
    request.vm_uuid = env.machine_facts ? env.machine_facts().vm_uuid : std::string();
    request.private_link_scope = config.private_link_scope;
    request.enable_automatic_upgrade = options.enable_automatic_upgrade;
    auto machine = control_plane.createMachine(token, request);
    if (!machine) {
        rollBack(env, control_plane, token, config, false);
        return machine.error();
    }
    config.vm_id = stringAt(machine.value(), "properties", "vmId");
    if (config.vm_id.empty()) {
        auto fetched = control_plane.getMachine(
            token, machineUrl(config.cloud.endpoints.arm, config.subscription_id,
                              config.resource_group, config.resource_name));
        if (fetched) {
            config.vm_id = stringAt(fetched.value(), "properties", "vmId");
        }
    }
    spdlog::info("RESOURCE_CREATED {} vmId={}", log::sanitize(config.resourceId()),
                 log::sanitize(config.vm_id));

    console.progress(5, kSteps, "Downloading the managed identity certificate...");
    auto certificate = control_plane.requestCertificate(token, config.resourceId(), keys.csr);
    if (!certificate) {
        rollBack(env, control_plane, token, config, true);
        return certificate.error();
    }

    console.progress(6, kSteps, "Activating the agent...");
    auto saved = fs::ensureDirectory(config_path.parent_path(), {0755, {}});
    if (saved) {
        saved = config::saveAgentConfig(config_path, config);
    }
    if (!saved) {
        rollBack(env, control_plane, token, config, true);
        return makeError(exitcode::kLocalConfigUpdate,
                         "cannot write " + config_path.string() + ": " + saved.error().message);
    }
    if (auto activated = himdsActivate(env, certificate.value()); !activated) {
        (void)fs::removeFile(config_path);
        rollBack(env, control_plane, token, config, true);
        return activated.error();
    }
    const auto portal = portalPage(config.tenant_id, config.resourceId());
    spdlog::info("CONNECT_OK {}", log::sanitize(config.resourceId()));
    return json{{"status", "Connected"},
                {"message", "Connected machine to Azure"},
                {"resourceId", config.resourceId()},
                {"resourceName", config.resource_name},
                {"vmId", config.vm_id},
                {"tenantId", config.tenant_id},
                {"subscriptionId", config.subscription_id},
                {"resourceGroup", config.resource_group},
                {"location", config.location},
                {"correlationId", config.correlation_id},
                {"portalPage", portal}};
}

} // namespace azcm::azcmagent
