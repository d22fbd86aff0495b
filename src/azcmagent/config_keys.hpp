#pragma once
// The twelve keys of `azcmagent config` (docs/config.md) in one table: how each value is read
// from the command line and validated, shown, reset, which daemons apply it, and the monitor-mode
// transitions. Pure functions over LocalConfig; the command does the file and the daemons.
#include "config/local_config.hpp"
#include "error.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::cli {

enum class ValueKind { kBool, kPercent, kChoice, kProxyUrl, kList };
enum class ListEdit { kReplace, kAdd, kRemove };

struct ConfigKey {
    std::string name;
    ValueKind kind;
    std::string default_text;         // as `config get` prints it
    std::string allowed;              // `config info`: the values accepted
    std::string effect;               // `config info`: what the key does
    std::vector<std::string> daemons; // who applies it live (POST /reload); himds for every key
};

// Where `config.mode monitor` keeps the user's lists and switches until `full` restores them.
inline constexpr const char* kFullModeStashKey = "_azcmagent.fullModeSettings";

// In the real agent's `config list` order.
const std::vector<ConfigKey>& configKeys();
// Exact name, case-insensitive; nullptr when unknown.
const ConfigKey* findConfigKey(std::string_view name);

// The value in force as JSON (bool, integer, string, array of strings); proxy.url redacted.
nlohmann::json configValue(const config::LocalConfig& config, const ConfigKey& key);
// `true`, `5`, `direct`, `[a, b]`, `[]`.
std::string formatConfigValue(const nlohmann::json& value);

// Applies `config set KEY VALUE [--add|--remove]`. Invalid values, --add/--remove on a scalar key
// and lockdown keys while in monitor mode give exit 23 and leave `config` as it was.
Result<void> setConfigValue(config::LocalConfig& config,
                            const ConfigKey& key,
                            std::string_view raw_value,
                            ListEdit edit);
// Applies `config clear KEY`: the default (config.mode: back to full, restoring the lists).
Result<void> clearConfigValue(config::LocalConfig& config, const ConfigKey& key);

} // namespace azcm::cli
