#include "emulator/extension_view.hpp"

#include "emulator/http_util.hpp"
#include "emulator/machine_view.hpp"

namespace azcm::emulator {

using nlohmann::json;

std::string extensionMachineId(const ExtensionRecord& extension) {
    return resourceGroupId(extension.subscription_id, extension.resource_group) +
           "/providers/Microsoft.HybridCompute/machines/" + extension.machine;
}

std::string extensionId(const ExtensionRecord& extension) {
    return extensionMachineId(extension) + "/extensions/" + extension.name;
}

json extensionJson(const ExtensionRecord& extension) {
    json properties = extension.properties;
    // Write-only: whatever was stored, a read never carries it.
    properties.erase("protectedSettings");
    properties["provisioningState"] = extension.provisioning_state;
    if (extension.instance_view.is_object()) {
        properties["instanceView"] = extension.instance_view;
    }
    return json{{"id", extensionId(extension)},
                {"name", extension.name},
                {"type", "Microsoft.HybridCompute/machines/extensions"},
                {"location", extension.location},
                {"tags", extension.tags.is_object() ? extension.tags : json::object()},
                {"properties", properties}};
}

std::string operationStatusPath(const ExtensionOperation& operation) {
    return "/subscriptions/" + operation.subscription_id +
           "/providers/Microsoft.HybridCompute/locations/" + operation.location +
           "/operationStatus/" + operation.id;
}

std::string operationResultPath(const ExtensionOperation& operation) {
    return "/subscriptions/" + operation.subscription_id +
           "/providers/Microsoft.HybridCompute/locations/" + operation.location +
           "/operationResults/" + operation.id;
}

json operationStatusJson(const ExtensionOperation& operation) {
    json body{{"id", operationStatusPath(operation)},
              {"name", operation.id},
              {"status", operation.status},
              {"startTime", rfc3339(fromUnixSeconds(operation.start_time))}};
    if (operation.end_time) {
        body["endTime"] = rfc3339(fromUnixSeconds(*operation.end_time));
    }
    if (operation.status == "Failed") {
        body["error"] = json{{"code", operation.error_code}, {"message", operation.error_message}};
    }
    return body;
}

bool isTerminalProvisioningState(const std::string& state) {
    return state == "Succeeded" || state == "Failed";
}

} // namespace azcm::emulator
