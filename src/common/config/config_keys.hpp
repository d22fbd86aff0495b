#pragma once
// The table of the `azcmagent config` keys, one ConfigKey row each (config_key.hpp). Adding a key
// is adding its row in config_keys.cpp (and its member in LocalConfig, its line in docs/config.md).
#include "common/config/config_key.hpp"

#include <string_view>
#include <vector>

namespace azcm::config {

// In `config list` order.
const std::vector<ConfigKey>& configKeys();
// As typed on the command line: any case. nullptr when unknown.
const ConfigKey* findConfigKey(std::string_view name);
// As localconfig.json spells it: exact. nullptr when unknown (the file keeps such keys as they
// are).
const ConfigKey* findStoredKey(std::string_view name);

} // namespace azcm::config
