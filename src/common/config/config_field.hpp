#pragma once
// Reading and writing a key's member of LocalConfig through its row's ConfigField, as JSON.
#include "common/config/config_key.hpp"

#include <nlohmann/json.hpp>

namespace azcm::config {

nlohmann::json fieldValue(const LocalConfig& config, const ConfigField& field);
// `value` has the member's JSON type (what the key's parsers give).
void storeField(LocalConfig& config, const ConfigField& field, const nlohmann::json& value);

} // namespace azcm::config
