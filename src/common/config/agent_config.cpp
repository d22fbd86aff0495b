#include "common/config/agent_config.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"

#include <nlohmann/json.hpp>

namespace azcm::config {

using nlohmann::json;

std::string AgentConfig::resourceId() const {
    return "/subscriptions/" + subscription_id + "/resourceGroups/" + resource_group +
           "/providers/Microsoft.HybridCompute/machines/" + resource_name;
}

json toJson(const AgentConfig& config) {
    return json{{"tenantId", config.tenant_id},
                {"subscriptionId", config.subscription_id},
                {"resourceGroup", config.resource_group},
                {"resourceName", config.resource_name},
                {"location", config.location},
                {"vmId", config.vm_id},
                {"correlationId", config.correlation_id},
                {"privateLinkScope", config.private_link_scope},
                {"tags", config.tags},
                {"cloud", toJson(config.cloud)}};
}

Result<AgentConfig> parseAgentConfig(const json& document) {
    if (!document.is_object()) {
        return makeError(exitcode::kLocalConfigRead, "agentconfig.json: an object expected");
    }
    AgentConfig config;
    const auto text = [&document](const char* key) -> Result<std::string> {
        BOOST_OUTCOME_TRY(
            value, jsondoc::withCode(jsondoc::getOptionalString(document, key, "agentconfig.json"),
                                     exitcode::kLocalConfigRead));
        return value.value_or(std::string());
    };
    AZCM_ASSIGN_OR_RETURN(config.tenant_id, text("tenantId"));
    AZCM_ASSIGN_OR_RETURN(config.subscription_id, text("subscriptionId"));
    AZCM_ASSIGN_OR_RETURN(config.resource_group, text("resourceGroup"));
    AZCM_ASSIGN_OR_RETURN(config.resource_name, text("resourceName"));
    AZCM_ASSIGN_OR_RETURN(config.location, text("location"));
    AZCM_ASSIGN_OR_RETURN(config.vm_id, text("vmId"));
    AZCM_ASSIGN_OR_RETURN(config.correlation_id, text("correlationId"));
    AZCM_ASSIGN_OR_RETURN(config.private_link_scope, text("privateLinkScope"));
    if (auto it = document.find("tags"); it != document.end() && it->is_object()) {
        for (const auto& [key, value] : it->items()) {
            if (value.is_string()) {
                config.tags[key] = value.get<std::string>();
            }
        }
    }
    if (config.subscription_id.empty() || config.resource_group.empty() ||
        config.resource_name.empty()) {
        return makeError(exitcode::kLocalConfigRead,
                         "agentconfig.json lacks subscriptionId, resourceGroup or resourceName");
    }
    if (auto it = document.find("cloud"); it != document.end()) {
        auto cloud = parseCloudConfig(*it);
        if (!cloud) {
            return makeError(exitcode::kLocalConfigRead,
                             "agentconfig.json: " + cloud.error().message);
        }
        config.cloud = cloud.value();
        if (auto name = it->find("name"); name != it->end() && name->is_string()) {
            config.cloud.name = name->get<std::string>();
        }
    } else {
        config.cloud = azurePublicCloud();
    }
    return config;
}

Result<AgentConfig> loadAgentConfig(const std::filesystem::path& path) {
    auto text = fs::readFile(path, 1 << 20);
    if (!text) {
        return text.error();
    }
    auto document = jsondoc::parse(text.value(), path.string());
    if (!document) {
        return makeError(exitcode::kLocalConfigRead, document.error().message);
    }
    return parseAgentConfig(document.value());
}

Result<void> saveAgentConfig(const std::filesystem::path& path, const AgentConfig& config) {
    return fs::writeFileAtomic(path, toJson(config).dump(2) + "\n", {0644, {}}, true);
}

} // namespace azcm::config
