#include "config/local_config.hpp"

#include "fs/atomic_file.hpp"
#include "json/json_document.hpp"
#include "json/json_fields.hpp"

namespace azcm::config {

using nlohmann::json;

namespace {

constexpr const char* kKnownKeys[] = {"incomingconnections.enabled",
                                      "incomingconnections.ports",
                                      "connection.type",
                                      "proxy.url",
                                      "proxy.bypass",
                                      "extensions.allowlist",
                                      "extensions.blocklist",
                                      "guestconfiguration.enabled",
                                      "extensions.enabled",
                                      "config.mode",
                                      "guestconfiguration.agent.cpulimit",
                                      "extensions.agent.cpulimit"};

bool isKnownKey(const std::string& key) {
    for (const char* known : kKnownKeys) {
        if (key == known) {
            return true;
        }
    }
    return false;
}

Error badValue(const std::string& key, const std::string& why) {
    return makeError(exitcode::kInvalidArgument,
                     "AZCM0023: invalid value for " + key + " in localconfig.json: " + why);
}

Result<bool> readBool(const json& value, const std::string& key) {
    if (value.is_boolean()) {
        return value.get<bool>();
    }
    if (value.is_string()) {
        if (value == "true") {
            return true;
        }
        if (value == "false") {
            return false;
        }
    }
    return badValue(key, "true or false expected");
}

Result<std::vector<std::string>> readList(const json& value, const std::string& key) {
    if (!value.is_array()) {
        return badValue(key, "a list expected");
    }
    std::vector<std::string> out;
    for (const auto& item : value) {
        if (!item.is_string()) {
            return badValue(key, "a list of strings expected");
        }
        out.push_back(item.get<std::string>());
    }
    return out;
}

// Range-checked before narrowing: 4294967297 is refused, not read as 1.
Result<int> readPercent(const json& value, const std::string& key) {
    return jsondoc::withCode(
        jsondoc::asInteger<int>(value, 1, 100,
                                "AZCM0023: invalid value for " + key + " in localconfig.json"),
        exitcode::kInvalidArgument);
}

Result<std::string> readString(const json& value, const std::string& key) {
    if (!value.is_string()) {
        return badValue(key, "a string expected");
    }
    return value.get<std::string>();
}

} // namespace

json toJson(const LocalConfig& config) {
    json out = config.unknown.is_object() ? config.unknown : json::object();
    out["incomingconnections.enabled"] = config.incoming_connections_enabled;
    out["incomingconnections.ports"] = config.incoming_connections_ports;
    out["connection.type"] = config.connection_type;
    out["proxy.url"] = config.proxy_url;
    out["proxy.bypass"] = config.proxy_bypass;
    out["extensions.allowlist"] = config.extensions_allowlist;
    out["extensions.blocklist"] = config.extensions_blocklist;
    out["guestconfiguration.enabled"] = config.guest_configuration_enabled;
    out["extensions.enabled"] = config.extensions_enabled;
    out["config.mode"] = config.config_mode;
    out["guestconfiguration.agent.cpulimit"] = config.guest_configuration_cpu_limit;
    out["extensions.agent.cpulimit"] = config.extensions_cpu_limit;
    return out;
}

Result<LocalConfig> parseLocalConfig(const json& document) {
    if (!document.is_object()) {
        return makeError(exitcode::kLocalConfigRead, "localconfig.json: an object expected");
    }
    LocalConfig config;
    for (const auto& [key, value] : document.items()) {
        if (key == "incomingconnections.enabled") {
            AZCM_ASSIGN_OR_RETURN(config.incoming_connections_enabled, readBool(value, key));
        } else if (key == "incomingconnections.ports") {
            AZCM_ASSIGN_OR_RETURN(config.incoming_connections_ports, readList(value, key));
        } else if (key == "connection.type") {
            AZCM_ASSIGN_OR_RETURN(config.connection_type, readString(value, key));
            if (config.connection_type == "default") { // written by older agents
                config.connection_type = "direct";
            }
            if (config.connection_type != "direct" && config.connection_type != "gateway") {
                return badValue(key, "direct or gateway expected");
            }
        } else if (key == "proxy.url") {
            AZCM_ASSIGN_OR_RETURN(config.proxy_url, readString(value, key));
        } else if (key == "proxy.bypass") {
            AZCM_ASSIGN_OR_RETURN(config.proxy_bypass, readList(value, key));
        } else if (key == "extensions.allowlist") {
            AZCM_ASSIGN_OR_RETURN(config.extensions_allowlist, readList(value, key));
        } else if (key == "extensions.blocklist") {
            AZCM_ASSIGN_OR_RETURN(config.extensions_blocklist, readList(value, key));
        } else if (key == "guestconfiguration.enabled") {
            AZCM_ASSIGN_OR_RETURN(config.guest_configuration_enabled, readBool(value, key));
        } else if (key == "extensions.enabled") {
            AZCM_ASSIGN_OR_RETURN(config.extensions_enabled, readBool(value, key));
        } else if (key == "config.mode") {
            AZCM_ASSIGN_OR_RETURN(config.config_mode, readString(value, key));
            if (config.config_mode != "full" && config.config_mode != "monitor") {
                return badValue(key, "full or monitor expected");
            }
        } else if (key == "guestconfiguration.agent.cpulimit") {
            AZCM_ASSIGN_OR_RETURN(config.guest_configuration_cpu_limit, readPercent(value, key));
        } else if (key == "extensions.agent.cpulimit") {
            AZCM_ASSIGN_OR_RETURN(config.extensions_cpu_limit, readPercent(value, key));
        } else if (!isKnownKey(key)) {
            config.unknown[key] = value;
        }
    }
    return config;
}

Result<LocalConfig> loadLocalConfig(const std::filesystem::path& path) {
    auto text = fs::readFile(path, 1 << 20);
    if (!text) {
        if (text.error().code == exitcode::kConfigFileNotFound) {
            return LocalConfig{};
        }
        return makeError(exitcode::kLocalConfigRead, text.error().message);
    }
    auto document = jsondoc::parse(text.value(), path.string());
    if (!document) {
        return makeError(exitcode::kLocalConfigRead, document.error().message);
    }
    return parseLocalConfig(document.value());
}

Result<void> saveLocalConfig(const std::filesystem::path& path, const LocalConfig& config) {
    return fs::writeFileAtomic(path, toJson(config).dump(2) + "\n", {0644, {}}, true);
}

} // namespace azcm::config
