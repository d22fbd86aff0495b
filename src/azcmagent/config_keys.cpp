#include "config_keys.hpp"

#include "config/extension_policy.hpp"
#include "http/proxy_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include <arpa/inet.h>

namespace azcm::cli {

using nlohmann::json;

namespace {

const std::vector<std::string> kOutboundDaemons = {"himds", "gcservice", "extservice", "arcproxy"};

// Keys an administrator locks down with monitor mode; they stay as monitor mode set them.
bool lockedInMonitorMode(const std::string& key) {
    return key == "extensions.allowlist" || key == "extensions.blocklist" ||
           key == "incomingconnections.enabled" || key == "guestconfiguration.enabled";
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    return text;
}

Error invalid(const ConfigKey& key, const std::string& why) {
    return makeError(exitcode::kInvalidArgument, "invalid value for " + key.name + ": " + why +
                                                     " (see 'azcmagent config info " + key.name +
                                                     "')");
}

// Digits only, no sign, within [low, high].
std::optional<int> parseBoundedInt(std::string_view text, int low, int high) {
    if (text.empty() || text.size() > 6 || !std::all_of(text.begin(), text.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
        return std::nullopt;
    }
    int value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    if (value < low || value > high) {
        return std::nullopt;
    }
    return value;
}

Result<bool> parseBool(const ConfigKey& key, std::string_view text) {
    const auto lowered = lower(text);
    if (lowered == "true") {
        return true;
    }
    if (lowered == "false") {
        return false;
    }
    return invalid(key, "'" + std::string(text) + "' is not true or false");
}

bool isHostCharacter(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

bool validUserinfo(std::string_view userinfo) {
    return !userinfo.empty() && std::none_of(userinfo.begin(), userinfo.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f || c == '@';
    });
}

// http://[user[:password]@]host[:port] with a host name, IPv4 address or [IPv6] address; one
// trailing '/' is dropped. Stored with a lower-case scheme, otherwise as given.
Result<std::string> parseProxyUrl(const ConfigKey& key, std::string_view text) {
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return invalid(key, "an http://host[:port] URL expected");
    }
    const auto scheme = lower(text.substr(0, scheme_end));
    if (scheme == "https") {
        return invalid(key, "https proxies are not supported; use http://host[:port]");
    }
    if (scheme != "http") {
        return invalid(key, "the scheme must be http");
    }
    auto rest = text.substr(scheme_end + 3);
    if (!rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
    }
    if (rest.find_first_of("/?#") != std::string_view::npos) {
        return invalid(key, "a path, query or fragment is not allowed");
    }
    std::string userinfo;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        if (!validUserinfo(rest.substr(0, at))) {
            return invalid(key, "malformed user information before '@'");
        }
        userinfo = std::string(rest.substr(0, at)) + "@";
        rest = rest.substr(at + 1);
    }
    std::string_view host;
    std::string_view port_part;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            return invalid(key, "unterminated IPv6 address");
        }
        const std::string address(rest.substr(1, close - 1));
        in6_addr parsed{};
        if (::inet_pton(AF_INET6, address.c_str(), &parsed) != 1) {
            return invalid(key, "'" + address + "' is not an IPv6 address");
        }
        host = rest.substr(0, close + 1);
        port_part = rest.substr(close + 1);
    } else {
        const auto colon = rest.find(':');
        host = rest.substr(0, colon);
        port_part = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
        if (host.empty() || !std::all_of(host.begin(), host.end(), isHostCharacter) ||
            host.front() == '.' || host.front() == '-') {
            return invalid(key, "'" + std::string(host) + "' is not a host name or address");
        }
    }
    if (!port_part.empty()) {
        if (port_part.front() != ':' || !parseBoundedInt(port_part.substr(1), 1, 65535)) {
            return invalid(key, "the port must be a number from 1 to 65535");
        }
    }
    auto url = "http://" + userinfo + std::string(host) + std::string(port_part);
    // What the daemons' HTTPS client will make of it: accepted here only if usable there.
    if (auto usable = http::parseProxyUrl(url); !usable) {
        return invalid(key, usable.error().message);
    }
    return url;
}

// One list entry in its stored form.
Result<std::string> parseListEntry(const ConfigKey& key, std::string_view entry) {
    if (key.name == "incomingconnections.ports") {
        auto port = parseBoundedInt(entry, 1, 65535);
        if (!port) {
            return invalid(key, "'" + std::string(entry) + "' is not a port from 1 to 65535");
        }
        return std::to_string(*port);
    }
    if (key.name == "proxy.bypass") {
        static const char* const kServices[] = {"AAD", "ARM", "Arc", "AMA", "ArcData"};
        for (const char* service : kServices) {
            if (lower(entry) == lower(service)) {
                return std::string(service);
            }
        }
        return invalid(key, "'" + std::string(entry) +
                                "' is not a service name (AAD, ARM, Arc, AMA, ArcData)");
    }
    if (!config::isValidExtensionEntry(entry)) {
        return invalid(key, "'" + std::string(entry) +
                                "' is not Publisher/Type (letters, digits, '.', '_', '-')");
    }
    if (config::sameExtension(entry, config::kAllowNone)) {
        if (key.name == "extensions.blocklist") {
            return invalid(key, "Allow/None belongs in extensions.allowlist");
        }
        return std::string(config::kAllowNone);
    }
    return std::string(entry);
}

// A comma-separated command-line value as stored entries; duplicates (any case) dropped.
Result<std::vector<std::string>> parseList(const ConfigKey& key, std::string_view text) {
    std::vector<std::string> entries;
    std::size_t start = 0;
    while (true) {
        const auto comma = text.find(',', start);
        const auto item = trim(text.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (item.empty()) {
            return invalid(key, "empty list entry (use 'azcmagent config clear " + key.name +
                                    "' for an empty list)");
        }
        BOOST_OUTCOME_TRY(entry, parseListEntry(key, item));
        const bool duplicate = std::any_of(entries.begin(), entries.end(), [&](const auto& e) {
            return config::sameExtension(e, entry);
        });
        if (!duplicate) {
            entries.push_back(std::move(entry));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return entries;
}

// The list field of a list key (const or not, as `config` is).
template <class Config> auto& listOf(Config& config, const ConfigKey& key) {
    if (key.name == "incomingconnections.ports") {
        return config.incoming_connections_ports;
    }
    if (key.name == "proxy.bypass") {
        return config.proxy_bypass;
    }
    if (key.name == "extensions.allowlist") {
        return config.extensions_allowlist;
    }
    return config.extensions_blocklist;
}

std::vector<std::string>
editList(std::vector<std::string> current, const std::vector<std::string>& entries, ListEdit edit) {
    if (edit == ListEdit::kReplace) {
        return entries;
    }
    for (const auto& entry : entries) {
        auto same = [&](const std::string& e) { return config::sameExtension(e, entry); };
        if (edit == ListEdit::kAdd) {
            if (std::none_of(current.begin(), current.end(), same)) {
                current.push_back(entry);
            }
        } else {
            current.erase(std::remove_if(current.begin(), current.end(), same), current.end());
        }
    }
    return current;
}

std::vector<std::string> stringList(const json& stash, const char* name) {
    std::vector<std::string> out;
    if (auto it = stash.find(name); it != stash.end() && it->is_array()) {
        for (const auto& item : *it) {
            if (item.is_string()) {
                out.push_back(item.get<std::string>());
            }
        }
    }
    return out;
}

bool boolOr(const json& stash, const char* name, bool fallback) {
    auto it = stash.find(name);
    return it != stash.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

void enterMonitorMode(config::LocalConfig& config) {
    if (config.config_mode == "monitor") {
        return; // the stash already holds the user's settings; never overwrite it with ours
    }
    config.unknown[kFullModeStashKey] = {
        {"extensions.allowlist", config.extensions_allowlist},
        {"extensions.blocklist", config.extensions_blocklist},
        {"incomingconnections.enabled", config.incoming_connections_enabled},
        {"guestconfiguration.enabled", config.guest_configuration_enabled}};
    config.extensions_allowlist = config::monitorModeAllowlist();
    config.extensions_blocklist.clear();
    config.incoming_connections_enabled = false;
    config.guest_configuration_enabled = false;
    config.config_mode = "monitor";
}

// Back to full mode with the stashed settings; without a stash (a hand-edited file) the defaults.
void leaveMonitorMode(config::LocalConfig& config) {
    if (config.config_mode != "monitor") {
        return;
    }
    const auto stash = config.unknown.is_object() && config.unknown.contains(kFullModeStashKey)
                           ? config.unknown.at(kFullModeStashKey)
                           : json::object();
    const config::LocalConfig defaults;
    config.extensions_allowlist = stringList(stash, "extensions.allowlist");
    config.extensions_blocklist = stringList(stash, "extensions.blocklist");
    config.incoming_connections_enabled =
        boolOr(stash, "incomingconnections.enabled", defaults.incoming_connections_enabled);
    config.guest_configuration_enabled =
        boolOr(stash, "guestconfiguration.enabled", defaults.guest_configuration_enabled);
    if (config.unknown.is_object()) {
        config.unknown.erase(kFullModeStashKey);
    }
    config.config_mode = "full";
}

Result<void> refuseInMonitorMode(const config::LocalConfig& config, const ConfigKey& key) {
    if (config.config_mode == "monitor" && lockedInMonitorMode(key.name)) {
        return makeError(exitcode::kInvalidArgument,
                         key.name + " cannot be changed while config.mode is monitor; run "
                                    "'azcmagent config set config.mode full' first (that "
                                    "restores your previous settings)");
    }
    return ok();
}

Result<void> checkAllowNoneAlone(const ConfigKey& key, const std::vector<std::string>& list) {
    const bool has_allow_none = std::any_of(list.begin(), list.end(), [](const auto& e) {
        return config::sameExtension(e, config::kAllowNone);
    });
    if (has_allow_none && list.size() > 1) {
        return invalid(key, "Allow/None cannot be combined with other entries");
    }
    return ok();
}

} // namespace

const std::vector<ConfigKey>& configKeys() {
    static const std::vector<ConfigKey> kKeys = {
        {"incomingconnections.enabled",
         ValueKind::kBool,
         "true",
         "true, false",
         "false blocks all remote access (SSH, Windows Admin Center) through Azure, whatever Azure "
         "asks; locked to false in monitor mode",
         {"himds"}},
        {"incomingconnections.ports",
         ValueKind::kList,
         "[]",
         "comma-separated ports 1-65535, e.g. 22,6516",
         "ports the agent may relay incoming connections to",
         {"himds"}},
        {"connection.type", ValueKind::kChoice, "direct", "direct, gateway",
         "direct: outbound calls go straight out (or through proxy.url); gateway: through the "
         "Azure Arc gateway via arcproxy",
         kOutboundDaemons},
        {"proxy.url", ValueKind::kProxyUrl, "",
         "http://host[:port] (default port 80), optional "
         "user:password@; not https, no path",
         "HTTP proxy for every outbound call of every agent service; wins over HTTPS_PROXY",
         kOutboundDaemons},
        {"proxy.bypass", ValueKind::kList, "[]", "comma-separated: AAD, ARM, Arc, AMA, ArcData",
         "services whose calls skip proxy.url", kOutboundDaemons},
        {"extensions.allowlist",
         ValueKind::kList,
         "[]",
         "comma-separated Publisher/Type entries, or Allow/None",
         "only listed extensions may be installed, updated or upgraded; Allow/None allows none; "
         "fixed to the built-in list in monitor mode",
         {"himds", "extservice"}},
        {"extensions.blocklist",
         ValueKind::kList,
         "[]",
         "comma-separated Publisher/Type entries",
         "listed extensions may not be installed, updated or upgraded (wins over the allowlist)",
         {"himds", "extservice"}},
        {"guestconfiguration.enabled",
         ValueKind::kBool,
         "true",
         "true, false",
         "false stops guest configuration (machine configuration policies); locked to false in "
         "monitor mode",
         {"himds", "gcservice"}},
        {"extensions.enabled",
         ValueKind::kBool,
         "true",
         "true, false",
         "false stops the extension manager; installed extensions are not removed",
         {"himds", "extservice"}},
        {"config.mode",
         ValueKind::kChoice,
         "full",
         "full, monitor",
         "monitor: built-in allowlist of monitoring and security extensions, incoming "
         "connections and guest configuration off, lists locked; full restores the previous "
         "settings",
         {"himds", "gcservice", "extservice"}},
        {"guestconfiguration.agent.cpulimit",
         ValueKind::kPercent,
         "5",
         "integer percentage 1-100",
         "CPU cap of the guest configuration service (percent of one "
         "core)",
         {"himds", "gcservice"}},
        {"extensions.agent.cpulimit",
         ValueKind::kPercent,
         "5",
         "integer percentage 1-100",
         "CPU cap of the extension service and the extensions it runs (percent of one core)",
         {"himds", "extservice"}},
    };
    return kKeys;
}

const ConfigKey* findConfigKey(std::string_view name) {
    const auto lowered = lower(name);
    for (const auto& key : configKeys()) {
        if (key.name == lowered) {
            return &key;
        }
    }
    return nullptr;
}

json configValue(const config::LocalConfig& config, const ConfigKey& key) {
    const auto& name = key.name;
    if (name == "incomingconnections.enabled") {
        return config.incoming_connections_enabled;
    }
    if (name == "connection.type") {
        return config.connection_type;
    }
    if (name == "proxy.url") {
        return http::redactProxyUrl(config.proxy_url);
    }
    if (name == "guestconfiguration.enabled") {
        return config.guest_configuration_enabled;
    }
    if (name == "extensions.enabled") {
        return config.extensions_enabled;
    }
    if (name == "config.mode") {
        return config.config_mode;
    }
    if (name == "guestconfiguration.agent.cpulimit") {
        return config.guest_configuration_cpu_limit;
    }
    if (name == "extensions.agent.cpulimit") {
        return config.extensions_cpu_limit;
    }
    return listOf(config, key);
}

std::string formatConfigValue(const json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_array()) {
        std::string out = "[";
        for (std::size_t i = 0; i < value.size(); ++i) {
            out += (i == 0 ? "" : ", ") + formatConfigValue(value.at(i));
        }
        return out + "]";
    }
    return value.dump();
}

Result<void> setConfigValue(config::LocalConfig& config,
                            const ConfigKey& key,
                            std::string_view raw_value,
                            ListEdit edit) {
    if (edit != ListEdit::kReplace && key.kind != ValueKind::kList) {
        return makeError(exitcode::kInvalidArgument,
                         "--add and --remove apply to list properties only; " + key.name +
                             " holds a single value");
    }
    BOOST_OUTCOME_TRY(refuseInMonitorMode(config, key));
    const auto text = trim(raw_value);
    const auto& name = key.name;
    switch (key.kind) {
    case ValueKind::kBool: {
        BOOST_OUTCOME_TRY(value, parseBool(key, text));
        if (name == "incomingconnections.enabled") {
            config.incoming_connections_enabled = value;
        } else if (name == "guestconfiguration.enabled") {
            config.guest_configuration_enabled = value;
        } else {
            config.extensions_enabled = value;
        }
        return ok();
    }
    case ValueKind::kPercent: {
        auto value = parseBoundedInt(text, 1, 100);
        if (!value) {
            return invalid(key, "'" + std::string(text) + "' is not an integer from 1 to 100");
        }
        (name == "extensions.agent.cpulimit" ? config.extensions_cpu_limit
                                             : config.guest_configuration_cpu_limit) = *value;
        return ok();
    }
    case ValueKind::kChoice: {
        const auto value = lower(text);
        if (name == "connection.type") {
            if (value != "direct" && value != "gateway") {
                return invalid(key, "'" + std::string(text) + "' is not direct or gateway");
            }
            config.connection_type = value;
        } else if (value == "monitor") {
            enterMonitorMode(config);
        } else if (value == "full") {
            leaveMonitorMode(config);
        } else {
            return invalid(key, "'" + std::string(text) + "' is not full or monitor");
        }
        return ok();
    }
    case ValueKind::kProxyUrl: {
        BOOST_OUTCOME_TRY(url, parseProxyUrl(key, text));
        config.proxy_url = std::move(url);
        return ok();
    }
    case ValueKind::kList: {
        BOOST_OUTCOME_TRY(entries, parseList(key, text));
        auto edited = editList(listOf(config, key), entries, edit);
        BOOST_OUTCOME_TRY(checkAllowNoneAlone(key, edited));
        listOf(config, key) = std::move(edited);
        return ok();
    }
    }
    return ok();
}

Result<void> clearConfigValue(config::LocalConfig& config, const ConfigKey& key) {
    if (key.name == "config.mode") {
        leaveMonitorMode(config);
        return ok();
    }
    BOOST_OUTCOME_TRY(refuseInMonitorMode(config, key));
    const config::LocalConfig defaults;
    const auto& name = key.name;
    if (name == "incomingconnections.enabled") {
        config.incoming_connections_enabled = defaults.incoming_connections_enabled;
    } else if (name == "connection.type") {
        config.connection_type = defaults.connection_type;
    } else if (name == "proxy.url") {
        config.proxy_url = defaults.proxy_url;
    } else if (name == "guestconfiguration.enabled") {
        config.guest_configuration_enabled = defaults.guest_configuration_enabled;
    } else if (name == "extensions.enabled") {
        config.extensions_enabled = defaults.extensions_enabled;
    } else if (name == "guestconfiguration.agent.cpulimit") {
        config.guest_configuration_cpu_limit = defaults.guest_configuration_cpu_limit;
    } else if (name == "extensions.agent.cpulimit") {
        config.extensions_cpu_limit = defaults.extensions_cpu_limit;
    } else {
        listOf(config, key).clear();
    }
    return ok();
}

} // namespace azcm::cli
