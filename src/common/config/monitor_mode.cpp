#include "common/config/monitor_mode.hpp"

#include "common/config/config_field.hpp"
#include "common/config/config_keys.hpp"

#include <string>
#include <type_traits>
#include <vector>

namespace azcm::config {

using nlohmann::json;

namespace {

bool inMonitorMode(const LocalConfig& config) {
    return config.config_mode == "monitor";
}

bool isLocked(const ConfigKey& key) {
    return key.monitor_mode_value != nullptr;
}

// A stashed value back into its key's member. Only what the agent itself stashes is taken: a
// boolean for a boolean, the strings of a list, a valid value otherwise; anything else (a
// hand-edited file) or nothing gives the default.
void restore(LocalConfig& config, const ConfigKey& key, const json* stashed) {
    std::visit(
        [&](auto member) {
            using Value = std::remove_reference_t<decltype(config.*member)>;
            config.*member = LocalConfig{}.*member;
            if (stashed == nullptr) {
                return;
            }
            if constexpr (std::is_same_v<Value, bool>) {
                if (stashed->is_boolean()) {
                    config.*member = stashed->get<bool>();
                }
            } else if constexpr (std::is_same_v<Value, std::vector<std::string>>) {
                if (stashed->is_array()) {
                    for (const auto& item : *stashed) {
                        if (item.is_string()) {
                            (config.*member).push_back(item.get<std::string>());
                        }
                    }
                }
            } else if (auto valid = key.from_file(key.name, *stashed)) {
                config.*member = valid.value().template get<Value>();
            }
        },
        key.field);
}

void enterMonitorMode(LocalConfig& config) {
    if (inMonitorMode(config)) {
        return; // the stash already holds the user's settings; never overwrite it with ours
    }
    json stash = json::object();
    for (const auto& key : configKeys()) {
        if (isLocked(key)) {
            stash[key.name] = fieldValue(config, key.field);
        }
    }
    config.unknown[kFullModeStashKey] = std::move(stash);
    for (const auto& key : configKeys()) {
        if (isLocked(key)) {
            storeField(config, key.field, key.monitor_mode_value());
        }
    }
    config.config_mode = "monitor";
}

void leaveMonitorMode(LocalConfig& config) {
    if (!inMonitorMode(config)) {
        return;
    }
    const auto stash = config.unknown.is_object() && config.unknown.contains(kFullModeStashKey)
                           ? config.unknown.at(kFullModeStashKey)
                           : json::object();
    for (const auto& key : configKeys()) {
        if (isLocked(key)) {
            const bool stashed = stash.is_object() && stash.contains(key.name);
            restore(config, key, stashed ? &stash.at(key.name) : nullptr);
        }
    }
    if (config.unknown.is_object()) {
        config.unknown.erase(kFullModeStashKey);
    }
    config.config_mode = "full";
}

} // namespace

Result<void> refuseWhileLocked(const LocalConfig& config, const ConfigKey& key) {
    if (inMonitorMode(config) && isLocked(key)) {
        return makeError(exitcode::kInvalidArgument,
                         key.name + " cannot be changed while config.mode is monitor; run "
                                    "'azcmagent config set config.mode full' first (that "
                                    "restores your previous settings)");
    }
    return ok();
}

void applyConfigMode(LocalConfig& config, const json& mode) {
    if (mode == "monitor") {
        enterMonitorMode(config);
    } else {
        leaveMonitorMode(config);
    }
}

} // namespace azcm::config
