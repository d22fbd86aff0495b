#include "common/config/config_keys.hpp"

#include "common/config/ascii_text.hpp"
#include "common/config/extension_policy.hpp"
#include "common/config/monitor_mode.hpp"
#include "common/config/value_parsers.hpp"

#include <array>

namespace azcm::config {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 2> kConfigModes = {"full", "monitor"};

// Every daemon that calls out: they all go through the same proxy and gateway settings.
const std::vector<std::string> kOutboundDaemons = {"himds", "gcservice", "extservice", "arcproxy"};

json lockedFalse() {
    return false;
}
json lockedEmptyList() {
    return json::array();
}
json lockedMonitorModeAllowlist() {
    return monitorModeAllowlist();
}

} // namespace

const std::vector<ConfigKey>& configKeys() {
    static const std::vector<ConfigKey> kKeys = {
        {.name = "incomingconnections.enabled",
         .type = ValueType::kBool,
         .field = &LocalConfig::incoming_connections_enabled,
         .from_text = boolFromText,
         .from_file = boolFromFile,
         .monitor_mode_value = lockedFalse,
         .applied_by = {"himds"},
         .allowed = "true, false",
         .effect = "false blocks all remote access (SSH, Windows Admin Center) through Azure, "
                   "whatever Azure asks; locked to false in monitor mode",
         .example = "false"},
        {.name = "incomingconnections.ports",
         .type = ValueType::kList,
         .field = &LocalConfig::incoming_connections_ports,
         .from_text = listFromText<portEntry>,
         .from_file = listFromFile,
         .applied_by = {"himds"},
         .allowed = "comma-separated ports 1-65535, e.g. 22,6516",
         .effect = "ports the agent may relay incoming connections to",
         .example = "22,6516"},
        {.name = "connection.type",
         .type = ValueType::kChoice,
         .field = &LocalConfig::connection_type,
         .from_text = choiceFromText<kConnectionTypes>,
         .from_file = connectionTypeFromFile,
         .applied_by = kOutboundDaemons,
         .allowed = "direct, gateway",
         .effect = "direct: outbound calls go straight out (or through proxy.url); gateway: "
                   "through the Azure Arc gateway via arcproxy",
         .example = "gateway"},
        {.name = "proxy.url",
         .type = ValueType::kProxyUrl,
         .field = &LocalConfig::proxy_url,
         .from_text = proxyUrlFromText,
         .from_file = stringFromFile,
         .public_form = PublicForm::kCredentialsRedacted,
         .applied_by = kOutboundDaemons,
         .allowed = "http://host[:port] (default port 80), optional user:password@; not https, "
                    "no path",
         .effect = "HTTP proxy for every outbound call of every agent service; wins over "
                   "HTTPS_PROXY",
         .example = "http://proxy.example:3128"},
        {.name = "proxy.bypass",
         .type = ValueType::kList,
         .field = &LocalConfig::proxy_bypass,
         .from_text = listFromText<proxyBypassEntry>,
         .from_file = listFromFile,
         .applied_by = kOutboundDaemons,
         .allowed = "comma-separated: AAD, ARM, Arc, AMA, ArcData",
         .effect = "services whose calls skip proxy.url",
         .example = "AAD,Arc"},
        {.name = "extensions.allowlist",
         .type = ValueType::kList,
         .field = &LocalConfig::extensions_allowlist,
         .from_text = listFromText<allowlistEntry>,
         .from_file = listFromFile,
         .monitor_mode_value = lockedMonitorModeAllowlist,
         .applied_by = {"himds", "extservice"},
         .allowed = "comma-separated Publisher/Type entries, or Allow/None",
         .effect = "only listed extensions may be installed, updated or upgraded; Allow/None "
                   "allows none; fixed to the built-in list in monitor mode",
         .example = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"},
        {.name = "extensions.blocklist",
         .type = ValueType::kList,
         .field = &LocalConfig::extensions_blocklist,
         .from_text = listFromText<blocklistEntry>,
         .from_file = listFromFile,
         .monitor_mode_value = lockedEmptyList,
         .applied_by = {"himds", "extservice"},
         .allowed = "comma-separated Publisher/Type entries",
         .effect = "listed extensions may not be installed, updated or upgraded (wins over the "
                   "allowlist)",
         .example = "Microsoft.Azure.Extensions/CustomScript"},
        {.name = "guestconfiguration.enabled",
         .type = ValueType::kBool,
         .field = &LocalConfig::guest_configuration_enabled,
         .from_text = boolFromText,
         .from_file = boolFromFile,
         .monitor_mode_value = lockedFalse,
         .applied_by = {"himds", "gcservice"},
         .allowed = "true, false",
         .effect = "false stops guest configuration (machine configuration policies); locked to "
                   "false in monitor mode",
         .example = "false"},
        {.name = "extensions.enabled",
         .type = ValueType::kBool,
         .field = &LocalConfig::extensions_enabled,
         .from_text = boolFromText,
         .from_file = boolFromFile,
         .applied_by = {"himds", "extservice"},
         .allowed = "true, false",
         .effect = "false stops the extension manager; installed extensions are not removed",
         .example = "false"},
        {.name = "config.mode",
         .type = ValueType::kChoice,
         .field = &LocalConfig::config_mode,
         .from_text = choiceFromText<kConfigModes>,
         .from_file = choiceFromFile<kConfigModes>,
         .apply = applyConfigMode,
         .applied_by = {"himds", "gcservice", "extservice"},
         .allowed = "full, monitor",
         .effect = "monitor: built-in allowlist of monitoring and security extensions, incoming "
                   "connections and guest configuration off, lists locked; full restores the "
                   "previous settings",
         .example = "monitor"},
        {.name = "guestconfiguration.agent.cpulimit",
         .type = ValueType::kInteger,
         .field = &LocalConfig::guest_configuration_cpu_limit,
         .from_text = percentFromText,
         .from_file = percentFromFile,
         .applied_by = {"himds", "gcservice"},
         .allowed = "integer percentage 1-100",
         .effect = "CPU cap of the guest configuration service (percent of one core)",
         .example = "20"},
        {.name = "extensions.agent.cpulimit",
         .type = ValueType::kInteger,
         .field = &LocalConfig::extensions_cpu_limit,
         .from_text = percentFromText,
         .from_file = percentFromFile,
         .applied_by = {"himds", "extservice"},
         .allowed = "integer percentage 1-100",
         .effect = "CPU cap of the extension service and the extensions it runs (percent of one "
                   "core)",
         .example = "20"},
        {.name = "agentupgrade.automatic.enabled",
         .type = ValueType::kBool,
         .field = &LocalConfig::automatic_upgrade_enabled,
         .from_text = boolFromText,
         .from_file = boolFromFile,
         .applied_by = {"himds"},
         .allowed = "true, false",
         .effect = "false: this machine never upgrades the agent on its own, whatever Azure's "
                   "agentUpgrade asks; azcmagent upgrade still works",
         .example = "false"},
        {.name = "agentupgrade.automatic.maxdelayminutes",
         .type = ValueType::kInteger,
         .field = &LocalConfig::automatic_upgrade_max_delay_minutes,
         .from_text = delayMinutesFromText,
         .from_file = delayMinutesFromFile,
         .applied_by = {"himds"},
         .allowed = "integer number of minutes 0-1440",
         .effect = "an automatic upgrade waits a random time up to this long, so a fleet does "
                   "not upgrade at once",
         .example = "30"},
    };
    return kKeys;
}

const ConfigKey* findConfigKey(std::string_view name) {
    return findStoredKey(asciiLower(name));
}

const ConfigKey* findStoredKey(std::string_view name) {
    for (const auto& key : configKeys()) {
        if (key.name == name) {
            return &key;
        }
    }
    return nullptr;
}

} // namespace azcm::config
