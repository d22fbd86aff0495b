#include "emulator/extension_arm.hpp"

#include "common/crypto/encoding.hpp"
#include "emulator/arm_service.hpp"
#include "emulator/extension_goal_state.hpp"
#include "emulator/extension_view.hpp"
#include "emulator/http_util.hpp"
#include "emulator/machine_view.hpp"
#include "emulator/rbac.hpp"

#include <algorithm>
#include <cctype>

namespace azcm::emulator {

using nlohmann::json;

namespace {

http::Response badRequest(const http::Request& request, std::string_view message) {
    return errorResponse(request, http::Status::bad_request, "InvalidParameter", message);
}

std::string machineScope(const ExtensionCall& call) {
    return resourceGroupId(call.subscription_id, call.resource_group) +
           "/providers/Microsoft.HybridCompute/machines/" + call.machine;
}

// Extension names as ARM takes them for machines: [a-zA-Z0-9-_.]{1,64}.
bool isValidExtensionName(const std::string& name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    });
}

// The writable properties of MachineExtensionProperties with their JSON types; read-only ones
// (provisioningState, instanceView: the agent's) and unknown ones are dropped.
Result<void> applyProperties(json& target, const json& incoming) {
    if (!incoming.is_object()) {
        return makeError(exitcode::kInvalidArgument, "properties must be an object");
    }
    static const std::vector<std::pair<std::string_view, json::value_t>> kWritable = {
        {"publisher", json::value_t::string},
        {"type", json::value_t::string},
        {"typeHandlerVersion", json::value_t::string},
        {"forceUpdateTag", json::value_t::string},
        {"enableAutomaticUpgrade", json::value_t::boolean},
        {"autoUpgradeMinorVersion", json::value_t::boolean},
        {"settings", json::value_t::object},
        {"protectedSettings", json::value_t::object},
    };
    for (const auto& [name, type] : kWritable) {
        const std::string key(name);
        if (!incoming.contains(key)) {
            continue;
        }
        const auto& value = incoming.at(key);
        if (value.is_null()) {
            target.erase(key);
        } else if (value.type() != type) {
            return makeError(exitcode::kInvalidArgument,
                             "properties." + key + " has the wrong type");
        } else {
            target[key] = value;
        }
    }
    return ok();
}

std::string stringProperty(const json& properties, const char* key) {
    return properties.contains(key) && properties.at(key).is_string()
               ? properties.at(key).get<std::string>()
               : std::string();
}

// protectedSettings live in their own column so that no read path can echo them.
void splitProtectedSettings(ExtensionRecord& extension) {
    if (extension.properties.contains("protectedSettings")) {
        extension.protected_settings = extension.properties.at("protectedSettings");
        extension.properties.erase("protectedSettings");
    }
}

http::Response operationInProgress(const http::Request& request, const ExtensionRecord& extension) {
    return errorResponse(request, http::Status::conflict, "AnotherOperationInProgress",
                         "Another operation on extension '" + extension.name +
                             "' is in progress (provisioningState " + extension.provisioning_state +
                             "); retry when it has finished.");
}

http::Response
extensionNotFound(const http::Request& request, const ExtensionCall& call, bool parent) {
    if (parent) {
        return errorResponse(request, http::Status::not_found, "ParentResourceNotFound",
                             "Can not perform requested operation on nested resource. Parent "
                             "resource '" +
                                 call.machine + "' not found.");
    }
    return errorResponse(request, http::Status::not_found, "ResourceNotFound",
                         "The Resource 'Microsoft.HybridCompute/machines/" + call.machine +
                             "/extensions/" + call.name + "' under resource group '" +
                             call.resource_group +
                             "' was not found. For more details please go to "
                             "https://aka.ms/ARMResourceNotFoundFix");
}

} // namespace

ExtensionOperation ExtensionArm::newOperation(const ExtensionRecord& extension,
                                              std::string kind) const {
    ExtensionOperation operation;
    operation.id = crypto::randomGuid();
    operation.subscription_id = extension.subscription_id;
    operation.location = extension.location;
    operation.resource_id = extensionId(extension);
    operation.kind = std::move(kind);
    operation.status = "InProgress";
    operation.start_time = toUnixSeconds(context_.clock());
    return operation;
}

http::Response ExtensionArm::accepted(const ExtensionCall& call,
                                      http::Status status,
                                      const ExtensionOperation& operation,
                                      const ExtensionRecord* body) {
    const std::string query = "?api-version=" + call.api_version;
    auto response = body ? jsonResponse(call.request, status, extensionJson(*body))
                         : emptyResponse(call.request, status);
    response.set("Azure-AsyncOperation",
                 context_.base_url + operationStatusPath(operation) + query);
    response.set(http::Field::location, context_.base_url + operationResultPath(operation) + query);
    return response;
}

http::Response ExtensionArm::list(const ExtensionCall& call) {
    if (call.request.method() != http::Verb::get) {
        return errorResponse(call.request, http::Status::method_not_allowed, "MethodNotAllowed",
                             "The extensions collection supports GET only.");
    }
    const std::string scope = machineScope(call);
    if (!mayHoldBelow(call.assignments, actions::kExtensionRead, scope)) {
        return authorizationFailed(call.request, call.caller, actions::kExtensionRead, scope);
    }
    auto machine =
        context_.store.findMachine(call.subscription_id, call.resource_group, call.machine);
    if (!machine) {
        return internalError(call.request, machine.error());
    }
    if (!machine.value()) {
        return extensionNotFound(call.request, call, true);
    }
    auto extensions = context_.store.listExtensions(
        machine.value()->subscription_id, machine.value()->resource_group, machine.value()->name);
    if (!extensions) {
        return internalError(call.request, extensions.error());
    }
    json value = json::array();
    for (const auto& extension : extensions.value()) {
        if (isAuthorized(call.assignments, actions::kExtensionRead, extensionId(extension))) {
            value.push_back(extensionJson(extension));
        }
    }
    return jsonResponse(call.request, http::Status::ok, json{{"value", value}});
}

http::Response ExtensionArm::extension(const ExtensionCall& call) {
    const auto& request = call.request;
    const auto method = request.method();
    const std::string scope = machineScope(call) + "/extensions/" + call.name;
    std::string_view action;
    if (method == http::Verb::get) {
        action = actions::kExtensionRead;
    } else if (method == http::Verb::put || method == http::Verb::patch) {
        action = actions::kExtensionWrite;
    } else if (method == http::Verb::delete_) {
        action = actions::kExtensionDelete;
    } else {
        return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                             "The requested resource does not support http method '" +
                                 std::string(request.method_string()) + "'.");
    }
    // Authorization first: a caller without the permission learns nothing about existence.
    if (!isAuthorized(call.assignments, action, scope)) {
        return authorizationFailed(request, call.caller, action, scope);
    }
    auto machine =
        context_.store.findMachine(call.subscription_id, call.resource_group, call.machine);
    if (!machine) {
        return internalError(request, machine.error());
    }
    if (!machine.value()) {
        if (method == http::Verb::delete_) {
            return emptyResponse(request, http::Status::no_content);
        }
        auto group = context_.store.findResourceGroup(call.subscription_id, call.resource_group);
        if (group && !group.value()) {
            return errorResponse(request, http::Status::not_found, "ResourceGroupNotFound",
                                 "Resource group '" + call.resource_group +
                                     "' could not be found.");
        }
        return extensionNotFound(request, call, true);
    }
    if (method == http::Verb::put) {
        return put(call, *machine.value());
    }
    auto found = context_.store.findExtension(machine.value()->subscription_id,
                                              machine.value()->resource_group,
                                              machine.value()->name, call.name);
    if (!found) {
        return internalError(request, found.error());
    }
    if (!found.value()) {
        if (method == http::Verb::delete_) {
            return emptyResponse(request, http::Status::no_content);
        }
        return extensionNotFound(request, call, false);
    }
    if (method == http::Verb::patch) {
        return patch(call, std::move(*found.value()));
    }
    if (method == http::Verb::delete_) {
        return remove(call, std::move(*found.value()));
    }
    return jsonResponse(request, http::Status::ok, extensionJson(*found.value()));
}

http::Response ExtensionArm::put(const ExtensionCall& call, const MachineRecord& machine) {
    const auto& request = call.request;
    if (!isValidExtensionName(call.name)) {
        return errorResponse(request, http::Status::bad_request, "InvalidResourceName",
                             "Resource name '" + call.name +
                                 "' is invalid. The name can be up to 64 characters in length "
                                 "and may contain letters, numbers, periods, hyphens and "
                                 "underscores.");
    }
    const auto body = parseJsonObject(request.body());
    if (!body) {
        return errorResponse(request, http::Status::bad_request, "InvalidRequestContent",
                             "The request content was invalid and could not be deserialized.");
    }
    json properties = json::object();
    if (body->contains("properties") && !body->at("properties").is_null()) {
        auto applied = applyProperties(properties, body->at("properties"));
        if (!applied) {
            return badRequest(request, applied.error().message);
        }
    }
    if (stringProperty(properties, "publisher").empty() ||
        stringProperty(properties, "type").empty()) {
        return badRequest(request, "properties.publisher and properties.type are required.");
    }
    std::string location = machine.location;
    if (body->contains("location") && body->at("location").is_string()) {
        location = normalizeLocation(body->at("location").get<std::string>());
    }
    if (location != machine.location) {
        return badRequest(request, "The extension's location '" + location +
                                       "' must be the machine's location '" + machine.location +
                                       "'.");
    }
    json tags = json::object();
    if (body->contains("tags") && !body->at("tags").is_null()) {
        if (!body->at("tags").is_object()) {
            return badRequest(request, "The tags must be an object of string values.");
        }
        tags = body->at("tags");
    }

    auto found = context_.store.findExtension(machine.subscription_id, machine.resource_group,
                                              machine.name, call.name);
    if (!found) {
        return internalError(request, found.error());
    }
    const bool created = !found.value();
    ExtensionRecord extension;
    if (created) {
        extension.subscription_id = machine.subscription_id;
        extension.resource_group = machine.resource_group;
        extension.machine = machine.name;
        extension.name = call.name;
    } else {
        extension = std::move(*found.value());
        if (!isTerminalProvisioningState(extension.provisioning_state)) {
            return operationInProgress(request, extension);
        }
        if (!equalsIgnoreCase(stringProperty(extension.properties, "publisher"),
                              stringProperty(properties, "publisher")) ||
            !equalsIgnoreCase(stringProperty(extension.properties, "type"),
                              stringProperty(properties, "type"))) {
            return errorResponse(request, http::Status::bad_request, "PropertyChangeNotAllowed",
                                 "Changing the publisher or type of extension '" + extension.name +
                                     "' is not allowed; delete it first.");
        }
    }
    // PUT replaces: what the body does not carry (protectedSettings too) is gone.
    extension.location = location;
    extension.tags = tags;
    extension.properties = properties;
    extension.protected_settings = json::object();
    splitProtectedSettings(extension);
    extension.provisioning_state = created ? "Creating" : "Updating";
    extension.sequence_number += 1;
    const auto operation = newOperation(extension, created ? "create" : "update");
    extension.operation_id = operation.id;
    auto stored = context_.store.transaction([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(context_.store.putOperation(operation));
        return context_.store.putExtension(extension);
    });
    if (!stored) {
        return internalError(request, stored.error());
    }
    goalStateChanged(context_, extension.subscription_id, extension.resource_group,
                     extension.machine);
    return accepted(call, created ? http::Status::created : http::Status::ok, operation,
                    &extension);
}

http::Response ExtensionArm::patch(const ExtensionCall& call, ExtensionRecord extension) {
    const auto& request = call.request;
    if (!isTerminalProvisioningState(extension.provisioning_state)) {
        return operationInProgress(request, extension);
    }
    const auto body = parseJsonObject(request.body());
    if (!body) {
        return errorResponse(request, http::Status::bad_request, "InvalidRequestContent",
                             "The request content was invalid and could not be deserialized.");
    }
    json properties = extension.properties;
    if (body->contains("properties") && !body->at("properties").is_null()) {
        auto applied = applyProperties(properties, body->at("properties"));
        if (!applied) {
            return badRequest(request, applied.error().message);
        }
    }
    if (!equalsIgnoreCase(stringProperty(extension.properties, "publisher"),
                          stringProperty(properties, "publisher")) ||
        !equalsIgnoreCase(stringProperty(extension.properties, "type"),
                          stringProperty(properties, "type"))) {
        return errorResponse(request, http::Status::bad_request, "PropertyChangeNotAllowed",
                             "Changing the publisher or type of extension '" + extension.name +
                                 "' is not allowed; delete it first.");
    }
    if (body->contains("tags") && !body->at("tags").is_null()) {
        if (!body->at("tags").is_object()) {
            return badRequest(request, "The tags must be an object of string values.");
        }
        extension.tags = body->at("tags");
    }
    // PATCH merges: protectedSettings stay unless the body carries new ones.
    extension.properties = properties;
    splitProtectedSettings(extension);
    extension.provisioning_state = "Updating";
    extension.sequence_number += 1;
    const auto operation = newOperation(extension, "update");
    extension.operation_id = operation.id;
    auto stored = context_.store.transaction([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(context_.store.putOperation(operation));
        return context_.store.putExtension(extension);
    });
    if (!stored) {
        return internalError(request, stored.error());
    }
    goalStateChanged(context_, extension.subscription_id, extension.resource_group,
                     extension.machine);
    return accepted(call, http::Status::ok, operation, &extension);
}

http::Response ExtensionArm::remove(const ExtensionCall& call, ExtensionRecord extension) {
    const auto& request = call.request;
    if (extension.provisioning_state == "Deleting") {
        // A repeated DELETE joins the deletion under way.
        auto running = context_.store.findOperation(extension.operation_id);
        if (running && running.value()) {
            return accepted(call, http::Status::accepted, *running.value(), nullptr);
        }
    }
    auto operation = newOperation(extension, "delete");
    auto stored = context_.store.transaction([&]() -> Result<void> {
        // Deleting wins over a create or update the agent has not finished: that one fails.
        if (!extension.operation_id.empty()) {
            BOOST_OUTCOME_TRY(previous, context_.store.findOperation(extension.operation_id));
            if (previous && previous->status == "InProgress") {
                previous->status = "Failed";
                previous->error_code = "OperationPreempted";
                previous->error_message =
                    "The operation was superseded by a delete of extension '" + extension.name +
                    "'.";
                previous->end_time = operation.start_time;
                BOOST_OUTCOME_TRY(context_.store.putOperation(*previous));
            }
        }
        extension.provisioning_state = "Deleting";
        extension.operation_id = operation.id;
        BOOST_OUTCOME_TRY(context_.store.putOperation(operation));
        return context_.store.putExtension(extension);
    });
    if (!stored) {
        return internalError(request, stored.error());
    }
    goalStateChanged(context_, extension.subscription_id, extension.resource_group,
                     extension.machine);
    return accepted(call, http::Status::accepted, operation, nullptr);
}

http::Response ExtensionArm::operation(const OperationCall& call) {
    const auto& request = call.request;
    if (request.method() != http::Verb::get) {
        return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                             "Operation status resources support GET only.");
    }
    const std::string subscription_scope = "/subscriptions/" + call.subscription_id;
    if (!mayHoldBelow(call.assignments, actions::kExtensionRead, subscription_scope)) {
        return authorizationFailed(request, call.caller, actions::kExtensionRead,
                                   subscription_scope);
    }
    auto found = context_.store.findOperation(call.operation_id);
    if (!found) {
        return internalError(request, found.error());
    }
    if (!found.value() || !equalsIgnoreCase(found.value()->subscription_id, call.subscription_id)) {
        return errorResponse(request, http::Status::not_found, "OperationNotFound",
                             "The operation '" + call.operation_id + "' was not found.");
    }
    const ExtensionOperation& operation = *found.value();
    if (!isAuthorized(call.assignments, actions::kExtensionRead, operation.resource_id)) {
        return authorizationFailed(request, call.caller, actions::kExtensionRead,
                                   operation.resource_id);
    }
    if (!call.result) {
        return jsonResponse(request, http::Status::ok, operationStatusJson(operation));
    }
    // operationResults: 202 while running, then the outcome (the resource for create/update).
    if (operation.status == "InProgress") {
        auto response = emptyResponse(request, http::Status::accepted);
        response.set(http::Field::location, context_.base_url + std::string(request.target()));
        return response;
    }
    if (operation.status == "Failed") {
        return errorResponse(request, http::Status::bad_request, operation.error_code,
                             operation.error_message);
    }
    if (operation.kind != "delete") {
        const auto ref = parseMachineId(
            operation.resource_id.substr(0, operation.resource_id.rfind("/extensions/")));
        const auto name = operation.resource_id.substr(operation.resource_id.rfind('/') + 1);
        if (ref) {
            auto extension = context_.store.findExtension(ref->subscription_id, ref->resource_group,
                                                          ref->name, name);
            if (extension && extension.value()) {
                return jsonResponse(request, http::Status::ok, extensionJson(*extension.value()));
            }
        }
    }
    return emptyResponse(request, http::Status::no_content);
}

} // namespace azcm::emulator
