#pragma once
// `config.mode monitor` (docs/config.md, Monitor mode): the keys whose row gives a
// monitor_mode_value are locked to it, the user's values kept in the file until `full` restores
// them.
#include "common/config/config_key.hpp"
#include "common/config/local_config.hpp"
#include "common/error.hpp"

#include <nlohmann/json.hpp>

namespace azcm::config {

// Where monitor mode keeps the user's values of the locked keys, an object keyed by key name.
inline constexpr const char* kFullModeStashKey = "_azcmagent.fullModeSettings";

// Exit 23 when `key` is locked and the configuration is in monitor mode.
Result<void> refuseWhileLocked(const LocalConfig& config, const ConfigKey& key);

// The config.mode row's apply: "monitor" stashes the locked keys and sets their monitor values
// (a second "monitor" keeps the first stash); "full" restores the stash, or the defaults without
// one (a hand-edited file).
void applyConfigMode(LocalConfig& config, const nlohmann::json& mode);

} // namespace azcm::config
