#include "emulator/machine_view.hpp"

#include "emulator/api_versions.hpp"
#include "emulator/http_util.hpp"
#include "emulator/machine_agent_upgrade.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace azcm::emulator {

using nlohmann::json;

DerivedStatus
deriveStatus(const MachineRecord& machine, SystemTime now, std::chrono::seconds heartbeat_timeout) {
    const auto now_seconds = toUnixSeconds(now);
    if (machine.cert_not_after && now_seconds >= *machine.cert_not_after) {
        return {"Expired", *machine.cert_not_after};
    }
    if (!machine.last_heartbeat) {
        return {"Disconnected", machine.last_status_change};
    }
    const auto deadline = *machine.last_heartbeat + heartbeat_timeout.count();
    if (now_seconds < deadline) {
        return {"Connected", *machine.last_heartbeat};
    }
    return {"Disconnected", deadline};
}

bool refreshStatus(MachineRecord& machine, SystemTime now, std::chrono::seconds heartbeat_timeout) {
    const auto derived = deriveStatus(machine, now, heartbeat_timeout);
    if (derived.status == machine.status) {
        return false;
    }
    machine.status = derived.status;
    machine.last_status_change = derived.since;
    return true;
}

std::string resourceGroupId(const std::string& subscription_id, const std::string& name) {
    return "/subscriptions/" + subscription_id + "/resourceGroups/" + name;
}

std::string machineId(const MachineRecord& machine) {
    return resourceGroupId(machine.subscription_id, machine.resource_group) +
           "/providers/Microsoft.HybridCompute/machines/" + machine.name;
}

json machineJson(const MachineRecord& machine,
                 const std::string& tenant_id,
                 std::string_view api_version) {
    json properties = machine.properties.is_object() ? machine.properties : json::object();
    if (apiVersionAtLeast(api_version, kAgentUpgradeApiVersion)) {
        properties[kAgentUpgradeProperty] = agentUpgradeView(properties);
    } else {
        properties.erase(kAgentUpgradeProperty);
    }
    properties["provisioningState"] = "Succeeded";
    properties["status"] = machine.status;
    properties["lastStatusChange"] = rfc3339(fromUnixSeconds(machine.last_status_change));
    properties["vmId"] = machine.vm_id;
    if (!machine.client_public_key.empty()) {
        properties["clientPublicKey"] = machine.client_public_key;
    }
    if (!properties.contains("cloudMetadata")) {
        properties["cloudMetadata"] = json{{"provider", "N/A"}};
    }
    if (!properties.contains("detectedProperties")) {
        properties["detectedProperties"] = json::object();
    }
    if (!properties.contains("agentConfiguration")) {
        properties["agentConfiguration"] = json::object();
    }
    properties["errorDetails"] = json::array();
    json body{{"id", machineId(machine)},
              {"name", machine.name},
              {"type", "Microsoft.HybridCompute/machines"},
              {"location", machine.location},
              {"tags", machine.tags.is_object() ? machine.tags : json::object()},
              {"properties", properties}};
    if (!machine.identity_type.empty()) {
        body["identity"] = json{{"type", machine.identity_type},
                                {"principalId", machine.principal_id},
                                {"tenantId", tenant_id}};
    }
    return body;
}

json resourceGroupJson(const ResourceGroup& group) {
    return json{{"id", resourceGroupId(group.subscription_id, group.name)},
                {"name", group.name},
                {"type", "Microsoft.Resources/resourceGroups"},
                {"location", group.location},
                {"tags", group.tags.is_object() ? group.tags : json::object()},
                {"properties", {{"provisioningState", "Succeeded"}}}};
}

bool isReadOnlyMachineProperty(const std::string& key) {
    static const std::array<std::string_view, 5> kReadOnly = {
        "provisioningState", "status", "lastStatusChange", "vmId", "errorDetails"};
    return std::any_of(kReadOnly.begin(), kReadOnly.end(),
                       [&](std::string_view name) { return equalsIgnoreCase(name, key); });
}

std::string normalizeLocation(const std::string& location) {
    std::string normal;
    for (const char c : location) {
        if (c != ' ') {
            normal.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    return normal;
}

} // namespace azcm::emulator
