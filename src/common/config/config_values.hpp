#pragma once
// get, set and clear of one key, all through its row of the table (config_keys.hpp): what
// `azcmagent config` does to a LocalConfig before it is written.
#include "common/config/config_key.hpp"
#include "common/config/local_config.hpp"
#include "common/error.hpp"

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::config {

enum class ListEdit { kReplace, kAdd, kRemove };

// The value as localconfig.json holds it and `config get`/`list` show it: a bool, an integer, a
// string or an array of strings; credentials redacted (the row's public_form).
nlohmann::json publicValue(const LocalConfig& config, const ConfigKey& key);
// `true`, `5`, `direct`, `[a, b]`, `[]`: a value as `config get` and `list` print it.
std::string formatConfigValue(const nlohmann::json& value);
// The default as `config get` prints it after `config clear`.
std::string defaultText(const ConfigKey& key);

// `config set KEY VALUE [--add|--remove]`. Invalid values, --add/--remove on a key that is no list
// and keys locked in monitor mode give exit 23 and leave `config` as it was.
Result<void>
setFromText(LocalConfig& config, const ConfigKey& key, std::string_view text, ListEdit edit);
// `config clear KEY`: the default (config.mode: back to full, restoring the locked keys).
Result<void> clearToDefault(LocalConfig& config, const ConfigKey& key);

} // namespace azcm::config
