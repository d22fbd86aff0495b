#pragma once
// agentconfig.json: the resource identity written by `azcmagent connect` (root 0644).
#include "common/config/cloud_config.hpp"
#include "common/error.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace azcm::config {

struct AgentConfig {
    std::string tenant_id;
    std::string subscription_id;
    std::string resource_group;
    std::string resource_name;
    std::string location;
    std::string vm_id;
    std::string correlation_id;
    std::string private_link_scope;
    std::map<std::string, std::string> tags;
    CloudConfig cloud;

    std::string resourceId()
        const; // /subscriptions/../resourceGroups/../providers/Microsoft.HybridCompute/machines/..
};

nlohmann::json toJson(const AgentConfig& config);
Result<AgentConfig> parseAgentConfig(const nlohmann::json& json);
// Missing file: error with code kConfigFileNotFound (not connected).
Result<AgentConfig> loadAgentConfig(const std::filesystem::path& path);
Result<void> saveAgentConfig(const std::filesystem::path& path, const AgentConfig& config);

} // namespace azcm::config
