#include "himds/heartbeat_body.hpp"

#include "common/agent_version.hpp"
#include "common/http/proxy_url.hpp"

#include <string>

namespace azcm::himds {

namespace {

// Allow/block list entries are "Publisher/Type" (the type may itself not contain '/'), so the
// publisher is everything before the last slash.
nlohmann::json extensionList(const std::vector<std::string>& entries) {
    auto list = nlohmann::json::array();
    for (const auto& entry : entries) {
        const auto slash = entry.rfind('/');
        if (slash == std::string::npos) {
            list.push_back({{"publisher", entry}, {"type", ""}});
        } else {
            list.push_back(
                {{"publisher", entry.substr(0, slash)}, {"type", entry.substr(slash + 1)}});
        }
    }
    return list;
}

const char* boolText(bool value) {
    return value ? "true" : "false";
}

} // namespace

nlohmann::json agentConfigurationJson(const config::LocalConfig& local) {
    return nlohmann::json{
        // Proxy credentials stay on the machine.
        {"proxyUrl", http::redactProxyUrl(local.proxy_url)},
        {"proxyBypass", local.proxy_bypass},
        {"incomingConnectionsPorts", local.incoming_connections_ports},
        {"extensionsAllowList", extensionList(local.extensions_allowlist)},
        {"extensionsBlockList", extensionList(local.extensions_blocklist)},
        {"extensionsEnabled", boolText(local.extensions_enabled)},
        {"guestConfigurationEnabled", boolText(local.guest_configuration_enabled)},
        {"configMode", local.config_mode},
        {"automaticUpgradeEnabled", boolText(local.automatic_upgrade_enabled)}};
}

nlohmann::json heartbeatBody(const platform::MachineFacts& facts,
                             const config::LocalConfig& local,
                             const std::optional<AgentUpgradeAttempt>& upgrade_attempt) {
    nlohmann::json body{{"agentVersion", azcm::agentVersion()},
                        {"machine", platform::toJson(facts)},
                        {"agentConfiguration", agentConfigurationJson(local)}};
    if (upgrade_attempt) {
        body["agentUpgrade"] = agentUpgradeReportJson(*upgrade_attempt);
    }
    return body;
}

} // namespace azcm::himds
