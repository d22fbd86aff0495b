#pragma once
// localconfig.json: the administrator's `azcmagent config` settings (spec section 2), keys stored
// by property name. Unknown keys are kept untouched so a newer file survives an older agent.
#include "error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::config {

struct LocalConfig {
    bool incoming_connections_enabled = true;
    std::vector<std::string> incoming_connections_ports;
    // "direct" or "gateway"; an older agent's "default" is read as "direct".
    std::string connection_type = "direct";
    std::string proxy_url;
    std::vector<std::string> proxy_bypass;
    std::vector<std::string> extensions_allowlist;
    std::vector<std::string> extensions_blocklist;
    bool guest_configuration_enabled = true;
    bool extensions_enabled = true;
    std::string config_mode = "full";
    int guest_configuration_cpu_limit = 5;
    int extensions_cpu_limit = 5;

    nlohmann::json unknown = nlohmann::json::object(); // keys this version does not know
};

nlohmann::json toJson(const LocalConfig& config);
Result<LocalConfig> parseLocalConfig(const nlohmann::json& json); // exit 23 on a bad value
// A missing file gives the defaults.
Result<LocalConfig> loadLocalConfig(const std::filesystem::path& path);
Result<void> saveLocalConfig(const std::filesystem::path& path, const LocalConfig& config);

} // namespace azcm::config
