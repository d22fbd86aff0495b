#include "emulator/extension_goal_state.hpp"

#include "common/crypto/encoding.hpp"
#include "emulator/goal_state_waiters.hpp"
#include "emulator/machine_view.hpp"
#include "emulator/package_store.hpp"
#include "emulator/protected_settings.hpp"

namespace azcm::emulator {

using nlohmann::json;

namespace {

json goalStateEntry(const ExtensionRecord& extension) {
    json entry{{"name", extension.name},
               {"state", extension.provisioning_state == "Deleting" ? "uninstall" : "enabled"},
               {"sequenceNumber", extension.sequence_number},
               {"provisioningState", extension.provisioning_state}};
    for (const char* key : {"publisher", "type", "typeHandlerVersion", "enableAutomaticUpgrade",
                            "autoUpgradeMinorVersion", "forceUpdateTag", "settings"}) {
        if (extension.properties.contains(key)) {
            entry[key] = extension.properties.at(key);
        }
    }
    if (!entry.contains("settings")) {
        entry["settings"] = json::object();
    }
    return entry;
}

std::string text(const json& object, const char* key) {
    return object.contains(key) && object.at(key).is_string() ? object.at(key).get<std::string>()
                                                              : std::string();
}

} // namespace

Result<ExtensionGoalState> composeGoalState(const ServiceContext& context,
                                            const MachineRecord& machine) {
    BOOST_OUTCOME_TRY(extensions,
                      context.store.listExtensions(machine.subscription_id, machine.resource_group,
                                                   machine.name));
    BOOST_OUTCOME_TRY(cert, context.store.settingsCertificate(machine));
    json entries = json::array();
    json fingerprint = json::array(); // what the ETag covers
    for (const auto& extension : extensions) {
        json entry = goalStateEntry(extension);
        const std::string version = text(extension.properties, "typeHandlerVersion");
        if (!version.empty()) {
            BOOST_OUTCOME_TRY(package, findPackage(context.store, kPackageKindExtension,
                                                   text(extension.properties, "publisher"),
                                                   text(extension.properties, "type"), version));
            if (package) {
                entry["package"] = packageJson(*package, context.base_url);
            }
        }
        BOOST_OUTCOME_TRY(secret, protectedSettingsFields(extension.protected_settings, cert));
        json covered = entry;
        for (auto& [key, value] : secret.items()) {
            entry[key] = value;
            if (key != "protectedSettings") {
                covered[key] = value;
            }
        }
        entries.push_back(std::move(entry));
        fingerprint.push_back(std::move(covered));
    }
    ExtensionGoalState state;
    state.body = json{{"extensions", std::move(entries)}};
    state.etag = "\"" + crypto::hexEncode(crypto::sha256(fingerprint.dump())).substr(0, 32) + "\"";
    return state;
}

std::string goalStateKey(const std::string& subscription_id,
                         const std::string& resource_group,
                         const std::string& machine) {
    return resourceGroupId(subscription_id, resource_group) +
           "/providers/Microsoft.HybridCompute/machines/" + machine;
}

void goalStateChanged(const ServiceContext& context,
                      const std::string& subscription_id,
                      const std::string& resource_group,
                      const std::string& machine) {
    if (context.waiters != nullptr) {
        context.waiters->notify(goalStateKey(subscription_id, resource_group, machine));
    }
}

} // namespace azcm::emulator
