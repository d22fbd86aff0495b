#include "emulator/arm_service.hpp"

#include "common/crypto/encoding.hpp"
#include "emulator/api_versions.hpp"
#include "emulator/guest_configuration_arm.hpp"
#include "emulator/http_util.hpp"
#include "emulator/machine_agent_upgrade.hpp"
#include "emulator/machine_view.hpp"
#include "emulator/rbac.hpp"

#include <algorithm>
#include <cctype>

namespace azcm::emulator {

using nlohmann::json;

namespace {

enum class RouteKind {
    kSubscriptions,
    kSubscription,
    kResourceGroups,
    kResourceGroup,
    kMachinesInSubscription,
    kMachinesInGroup,
    kMachine,
    kExtensions,
    kExtension,
    kGcAssignments, // .../machines/{m}/providers/Microsoft.GuestConfiguration/...Assignments
    kGcAssignment,
    kOperationStatus,
    kOperationResult,
    kUnknownHybridComputeType,
    kUnknown,
};

struct Route {
    RouteKind kind = RouteKind::kUnknown;
    std::string subscription_id;
    std::string resource_group;
    std::string name;
    std::string resource_type; // for kUnknownHybridComputeType
    std::string extension;     // kExtension; the assignment's name for kGcAssignment
    std::string operation_id;  // kOperationStatus, kOperationResult
};

bool is(const std::vector<std::string>& segments, std::size_t index, std::string_view value) {
    return segments.size() > index && equalsIgnoreCase(segments[index], value);
}

Route parseRoute(const std::vector<std::string>& s) {
    Route route;
    if (!is(s, 0, "subscriptions")) {
        return route;
    }
    if (s.size() == 1) {
        route.kind = RouteKind::kSubscriptions;
        return route;
    }
    route.subscription_id = s[1];
    if (s.size() == 2) {
        route.kind = RouteKind::kSubscription;
        return route;
    }
    if (is(s, 2, "resourcegroups")) {
        if (s.size() == 3) {
            route.kind = RouteKind::kResourceGroups;
            return route;
        }
        route.resource_group = s[3];
        if (s.size() == 4) {
            route.kind = RouteKind::kResourceGroup;
            return route;
        }
        if (is(s, 4, "providers") && is(s, 5, "microsoft.hybridcompute") && s.size() >= 7) {
            if (!is(s, 6, "machines")) {
                route.kind = RouteKind::kUnknownHybridComputeType;
                route.resource_type = s[6];
                return route;
            }
            if (s.size() == 7) {
                route.kind = RouteKind::kMachinesInGroup;
                return route;
            }
            route.name = s[7];
            if (s.size() == 8) {
                route.kind = RouteKind::kMachine;
                return route;
            }
            if (is(s, 8, "extensions") && s.size() <= 10) {
                route.kind = s.size() == 9 ? RouteKind::kExtensions : RouteKind::kExtension;
                route.extension = s.size() == 10 ? s[9] : std::string();
                return route;
            }
            if (is(s, 8, "providers") && is(s, 9, "microsoft.guestconfiguration") &&
                is(s, 10, "guestconfigurationassignments") && s.size() <= 12) {
                route.kind = s.size() == 11 ? RouteKind::kGcAssignments : RouteKind::kGcAssignment;
                route.extension = s.size() == 12 ? s[11] : std::string();
                return route;
            }
            route.kind = RouteKind::kUnknownHybridComputeType;
            route.resource_type = "machines/" + s[8];
            return route;
        }
        return route;
    }
    if (is(s, 2, "providers") && is(s, 3, "microsoft.hybridcompute") && s.size() >= 5) {
        if (is(s, 4, "machines") && s.size() == 5) {
            route.kind = RouteKind::kMachinesInSubscription;
            return route;
        }
        // .../locations/{location}/operationStatus|operationResults/{id}: extension operations.
        if (is(s, 4, "locations") && s.size() == 8 &&
            (is(s, 6, "operationstatus") || is(s, 6, "operationresults"))) {
            route.kind = is(s, 6, "operationstatus") ? RouteKind::kOperationStatus
                                                     : RouteKind::kOperationResult;
            route.operation_id = s[7];
            return route;
        }
        route.kind = RouteKind::kUnknownHybridComputeType;
        route.resource_type = s[4];
        return route;
    }
    return route;
}

bool usesHybridCompute(RouteKind kind) {
    return kind == RouteKind::kMachinesInSubscription || kind == RouteKind::kMachinesInGroup ||
           kind == RouteKind::kMachine || kind == RouteKind::kExtensions ||
           kind == RouteKind::kExtension || kind == RouteKind::kOperationStatus ||
           kind == RouteKind::kOperationResult || kind == RouteKind::kUnknownHybridComputeType;
}

http::Response methodNotAllowed(const http::Request& request) {
    return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                         "The requested resource does not support http method '" +
                             std::string(request.method_string()) + "'.");
}

http::Response resourceGroupNotFound(const http::Request& request, const std::string& name) {
    return errorResponse(request, http::Status::not_found, "ResourceGroupNotFound",
                         "Resource group '" + name + "' could not be found.");
}

http::Response
machineNotFound(const http::Request& request, const std::string& group, const std::string& name) {
    return errorResponse(request, http::Status::not_found, "ResourceNotFound",
                         "The Resource 'Microsoft.HybridCompute/machines/" + name +
                             "' under resource group '" + group +
                             "' was not found. For more details please go to "
                             "https://aka.ms/ARMResourceNotFoundFix");
}

http::Response
badRequest(const http::Request& request, std::string_view code, std::string_view message) {
    return errorResponse(request, http::Status::bad_request, code, message);
}

// Tags: an object of strings (ARM also limits them; 50 tags, 512-character names here).
bool validTags(const json& tags) {
    if (!tags.is_object() || tags.size() > 50) {
        return false;
    }
    for (const auto& [key, value] : tags.items()) {
        if (key.size() > 512 || !value.is_string() ||
            value.get_ref<const std::string&>().size() > 256) {
            return false;
        }
    }
    return true;
}

bool validClientPublicKey(const json& value) {
    if (!value.is_string()) {
        return false;
    }
    auto der = crypto::base64Decode(value.get<std::string>());
    return der && !der.value().empty();
}

// Copies writable properties of `incoming` over `target` (top-level merge). agentUpgrade is
// left to applyAgentUpgrade, which knows its members and the api-versions that have it.
Result<void> mergeProperties(json& target, const json& incoming) {
    if (!incoming.is_object()) {
        return makeError(exitcode::kInvalidArgument, "properties must be an object");
    }
    for (const auto& item : incoming.items()) {
        if (isReadOnlyMachineProperty(item.key()) || item.key() == kAgentUpgradeProperty) {
            continue;
        }
        if (equalsIgnoreCase(item.key(), "clientPublicKey") && !item.value().is_null() &&
            !validClientPublicKey(item.value())) {
            return makeError(exitcode::kInvalidArgument,
                             "properties.clientPublicKey must be a base64 DER public key");
        }
        if (item.value().is_null()) {
            target.erase(item.key());
        } else {
            target[item.key()] = item.value();
        }
    }
    return ok();
}

// The body's properties.agentUpgrade, at api-versions that have it; older ones ignore the member,
// as ARM does with properties a version does not know.
Result<void> applyAgentUpgrade(json& target,
                               const json& incoming,
                               std::string_view api_version,
                               AgentUpgradeWrite write) {
    if (!incoming.contains(kAgentUpgradeProperty) ||
        !apiVersionAtLeast(api_version, kAgentUpgradeApiVersion)) {
        return ok();
    }
    return applyAgentUpgradeRequest(target, incoming.at(kAgentUpgradeProperty), write);
}

std::string clientPublicKeyOf(const json& properties) {
    if (properties.contains("clientPublicKey") && properties.at("clientPublicKey").is_string()) {
        return properties.at("clientPublicKey").get<std::string>();
    }
    return {};
}

} // namespace

std::optional<MachineRef> parseMachineId(const std::string& resource_id) {
    auto segments = pathSegments(resource_id.substr(0, resource_id.find('?')));
    if (!segments) {
        return std::nullopt;
    }
    const auto route = parseRoute(segments.value());
    if (route.kind != RouteKind::kMachine) {
        return std::nullopt;
    }
    return MachineRef{route.subscription_id, route.resource_group, route.name};
}

bool isValidMachineName(const std::string& name) {
    if (name.empty() || name.size() > 54 || name.back() == '-' || name.back() == '_') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    });
}

bool isValidResourceGroupName(const std::string& name) {
    if (name.empty() || name.size() > 90 || name.back() == '.') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
               c == '.' || c == '(' || c == ')';
    });
}

http::Response authorizationFailed(const http::Request& request,
                                   const Caller& caller,
                                   std::string_view action,
                                   std::string_view scope) {
    return errorResponse(
        request, http::Status::forbidden, "AuthorizationFailed",
        "The client '" + caller.app_id + "' with object id '" + caller.object_id +
            "' does not have authorization to perform action '" + std::string(action) +
            "' over scope '" + std::string(scope) +
            "' or the scope is invalid. If access was recently granted, please refresh your "
            "credentials.");
}

struct ArmService::Call {
    const http::Request& request;
    Caller caller;
    Route route;
    Settings settings;
    std::vector<RoleAssignment> assignments;
    std::string api_version;
};

http::Response ArmService::handle(const http::Request& request,
                                  const std::vector<std::string>& segments,
                                  const std::map<std::string, std::string>& query) {
    const auto authentication = authenticateArm(context_, request);
    if (!authentication.caller) {
        return authenticationFailure(context_, request, authentication);
    }
    const Route route = parseRoute(segments);
    if (route.kind == RouteKind::kUnknown) {
        return errorResponse(request, http::Status::not_found, "NotFound",
                             "No HTTP resource was found that matches the request URI '" +
                                 std::string(request.target()) + "'.");
    }

    const bool hybrid = usesHybridCompute(route.kind);
    const bool guest_configuration =
        route.kind == RouteKind::kGcAssignments || route.kind == RouteKind::kGcAssignment;
    const auto& versions = guest_configuration ? guestConfigurationApiVersions()
                           : hybrid            ? hybridComputeApiVersions()
                                               : resourcesApiVersions();
    const auto version = query.find("api-version");
    if (version == query.end() || version->second.empty()) {
        return badRequest(request, "InvalidApiVersionParameter",
                          "The api-version query parameter (?api-version=) is required for all "
                          "requests. The supported api-versions are '" +
                              joinApiVersions(versions) + "'.");
    }
    if (!isSupportedApiVersion(versions, version->second)) {
        if (hybrid) {
            return badRequest(request, "NoRegisteredProviderFound",
                              "No registered resource provider found for location 'global' and "
                              "API version '" +
                                  version->second +
                                  "' for type 'machines'. The supported api-versions are '" +
                                  joinApiVersions(versions) + "'.");
        }
        return badRequest(request, "InvalidApiVersionParameter",
                          "The api-version '" + version->second +
                              "' is invalid. The supported api-versions are '" +
                              joinApiVersions(versions) + "'.");
    }

    auto settings = context_.store.settings();
    if (!settings) {
        return internalError(request, settings.error());
    }
    auto assignments = context_.store.roleAssignmentsFor(authentication.caller->object_id);
    if (!assignments) {
        return internalError(request, assignments.error());
    }
    Call call{request,          *authentication.caller, route,
              settings.value(), assignments.value(),    version->second};
    if (route.kind == RouteKind::kSubscriptions) {
        return listSubscriptions(call);
    }
    if (!equalsIgnoreCase(route.subscription_id, settings.value().subscription_id)) {
        return errorResponse(request, http::Status::not_found, "SubscriptionNotFound",
                             "The subscription '" + route.subscription_id +
                                 "' could not be found.");
    }
    // From here on, ids use the subscription's canonical spelling.
    call.route.subscription_id = settings.value().subscription_id;
    switch (route.kind) {
    case RouteKind::kSubscription:
        return subscription(call);
    case RouteKind::kResourceGroups:
        return listResourceGroups(call);
    case RouteKind::kResourceGroup:
        return resourceGroup(call);
    case RouteKind::kMachinesInSubscription:
    case RouteKind::kMachinesInGroup:
        return listMachines(call);
    case RouteKind::kMachine:
        return machine(call);
    case RouteKind::kExtensions:
    case RouteKind::kExtension: {
        const ExtensionCall extension_call{request,
                                           call.caller,
                                           call.assignments,
                                           call.route.subscription_id,
                                           route.resource_group,
                                           route.name,
                                           route.extension,
                                           version->second};
        return route.kind == RouteKind::kExtensions ? extensions_.list(extension_call)
                                                    : extensions_.extension(extension_call);
    }
    case RouteKind::kGcAssignments:
    case RouteKind::kGcAssignment:
        return GcAssignmentArm(context_).handle(
            GcAssignmentCall{request, call.caller, call.assignments, call.route.subscription_id,
                             route.resource_group, route.name, route.extension, version->second});
    case RouteKind::kOperationStatus:
    case RouteKind::kOperationResult:
        return extensions_.operation(OperationCall{request, call.caller, call.assignments,
                                                   call.route.subscription_id, route.operation_id,
                                                   route.kind == RouteKind::kOperationResult});
    case RouteKind::kUnknownHybridComputeType:
        return errorResponse(request, http::Status::not_found, "InvalidResourceType",
                             "The resource type '" + route.resource_type +
                                 "' could not be found in the namespace "
                                 "'Microsoft.HybridCompute' for api version '" +
                                 version->second + "'.");
    default:
        break;
    }
    return errorResponse(request, http::Status::not_found, "NotFound", "Not found.");
}

http::Response ArmService::listSubscriptions(const Call& call) {
    if (call.request.method() != http::Verb::get) {
        return methodNotAllowed(call.request);
    }
    const std::string scope = "/subscriptions/" + call.settings.subscription_id;
    json value = json::array();
    if (!call.assignments.empty() &&
        std::any_of(call.assignments.begin(), call.assignments.end(), [&](const RoleAssignment& a) {
            return scopeCovers(a.scope, scope) || scopeCovers(scope, a.scope);
        })) {
        value.push_back(json{{"id", scope},
                             {"subscriptionId", call.settings.subscription_id},
                             {"tenantId", call.settings.tenant_id},
                             {"displayName", "Arc Emulator Subscription"},
                             {"state", "Enabled"}});
    }
    return jsonResponse(call.request, http::Status::ok, json{{"value", value}});
}

http::Response ArmService::subscription(const Call& call) {
    if (call.request.method() != http::Verb::get) {
        return methodNotAllowed(call.request);
    }
    const std::string scope = "/subscriptions/" + call.settings.subscription_id;
    // Any role assignment in the subscription makes it visible, as in Azure.
    const bool visible =
        std::any_of(call.assignments.begin(), call.assignments.end(), [&](const RoleAssignment& a) {
            return scopeCovers(a.scope, scope) || scopeCovers(scope, a.scope);
        });
    if (!visible) {
        return authorizationFailed(call.request, call.caller, actions::kSubscriptionRead, scope);
    }
    return jsonResponse(call.request, http::Status::ok,
                        json{{"id", scope},
                             {"subscriptionId", call.settings.subscription_id},
                             {"tenantId", call.settings.tenant_id},
                             {"displayName", "Arc Emulator Subscription"},
                             {"state", "Enabled"}});
}

http::Response ArmService::listResourceGroups(const Call& call) {
    if (call.request.method() != http::Verb::get) {
        return methodNotAllowed(call.request);
    }
    const std::string scope = "/subscriptions/" + call.route.subscription_id;
    if (!mayHoldBelow(call.assignments, actions::kResourceGroupRead, scope)) {
        return authorizationFailed(call.request, call.caller, actions::kResourceGroupRead, scope);
    }
    auto groups = context_.store.listResourceGroups(call.route.subscription_id);
    if (!groups) {
        return internalError(call.request, groups.error());
    }
    json value = json::array();
    for (const auto& group : groups.value()) {
        if (isAuthorized(call.assignments, actions::kResourceGroupRead,
                         resourceGroupId(group.subscription_id, group.name))) {
            value.push_back(resourceGroupJson(group));
        }
    }
    return jsonResponse(call.request, http::Status::ok, json{{"value", value}});
}

http::Response ArmService::resourceGroup(const Call& call) {
    const auto& request = call.request;
    const auto method = request.method();
    const std::string scope =
        resourceGroupId(call.route.subscription_id, call.route.resource_group);
    std::string_view action;
    if (method == http::Verb::get || method == http::Verb::head) {
        action = actions::kResourceGroupRead;
    } else if (method == http::Verb::put) {
        action = actions::kResourceGroupWrite;
    } else if (method == http::Verb::delete_) {
        action = actions::kResourceGroupDelete;
    } else {
        return methodNotAllowed(request);
    }
    if (!isAuthorized(call.assignments, action, scope)) {
        return authorizationFailed(request, call.caller, action, scope);
    }
    auto existing =
        context_.store.findResourceGroup(call.route.subscription_id, call.route.resource_group);
    if (!existing) {
        return internalError(request, existing.error());
    }
    if (method == http::Verb::get || method == http::Verb::head) {
        if (!existing.value()) {
            if (method == http::Verb::head) {
                return emptyResponse(request, http::Status::not_found);
            }
            return resourceGroupNotFound(request, call.route.resource_group);
        }
        if (method == http::Verb::head) {
            return emptyResponse(request, http::Status::no_content);
        }
        return jsonResponse(request, http::Status::ok, resourceGroupJson(*existing.value()));
    }
    if (method == http::Verb::delete_) {
        if (!existing.value()) {
            return resourceGroupNotFound(request, call.route.resource_group);
        }
        auto deleted = context_.store.deleteResourceGroup(call.route.subscription_id,
                                                          call.route.resource_group);
        if (!deleted) {
            return internalError(request, deleted.error());
        }
        return emptyResponse(request, http::Status::ok);
    }
    // PUT
    if (!isValidResourceGroupName(call.route.resource_group)) {
        return badRequest(request, "InvalidResourceGroup",
                          "The provided resource group name '" + call.route.resource_group +
                              "' has these invalid characters or length. The name can be up to 90 "
                              "characters and may contain letters, digits, '-', '_', '.', '(' and "
                              "')'; it must not end with '.'.");
    }
    const auto body = parseJsonObject(request.body());
    if (!body) {
        return badRequest(request, "InvalidRequestContent",
                          "The request content was invalid and could not be deserialized.");
    }
    if (!body->contains("location") || !body->at("location").is_string() ||
        body->at("location").get<std::string>().empty()) {
        return badRequest(request, "LocationRequired",
                          "The location property is required for this definition.");
    }
    ResourceGroup group;
    group.subscription_id = call.route.subscription_id;
    group.name = existing.value() ? existing.value()->name : call.route.resource_group;
    group.location = normalizeLocation(body->at("location").get<std::string>());
    if (body->contains("tags") && !body->at("tags").is_null()) {
        if (!validTags(body->at("tags"))) {
            return badRequest(request, "InvalidRequestContent",
                              "The tags must be an object of string values.");
        }
        group.tags = body->at("tags");
    }
    if (existing.value() && existing.value()->location != group.location) {
        return errorResponse(request, http::Status::conflict, "InvalidResourceGroupLocation",
                             "Invalid resource group location '" + group.location +
                                 "'. The Resource group already exists in location '" +
                                 existing.value()->location + "'.");
    }
    auto stored = context_.store.putResourceGroup(group);
    if (!stored) {
        return internalError(request, stored.error());
    }
    return jsonResponse(request, existing.value() ? http::Status::ok : http::Status::created,
                        resourceGroupJson(group));
}

http::Response ArmService::listMachines(const Call& call) {
    if (call.request.method() != http::Verb::get) {
        return methodNotAllowed(call.request);
    }
    std::optional<std::string> group;
    std::string scope = "/subscriptions/" + call.route.subscription_id;
    if (call.route.kind == RouteKind::kMachinesInGroup) {
        scope = resourceGroupId(call.route.subscription_id, call.route.resource_group);
        if (!mayHoldBelow(call.assignments, actions::kMachineRead, scope)) {
            return authorizationFailed(call.request, call.caller, actions::kMachineRead, scope);
        }
        auto existing =
            context_.store.findResourceGroup(call.route.subscription_id, call.route.resource_group);
        if (!existing) {
            return internalError(call.request, existing.error());
        }
        if (!existing.value()) {
            return resourceGroupNotFound(call.request, call.route.resource_group);
        }
        group = existing.value()->name;
    }
    auto machines = context_.store.listMachines(call.route.subscription_id, group);
    if (!machines) {
        return internalError(call.request, machines.error());
    }
    json value = json::array();
    const auto now = context_.clock();
    for (auto& machine : machines.value()) {
        if (!isAuthorized(call.assignments, actions::kMachineRead, machineId(machine))) {
            continue;
        }
        if (refreshStatus(machine, now, context_.options.heartbeat_timeout)) {
            auto stored = context_.store.putMachine(machine);
            if (!stored) {
                return internalError(call.request, stored.error());
            }
        }
        value.push_back(machineJson(machine, call.settings.tenant_id, call.api_version));
    }
    return jsonResponse(call.request, http::Status::ok, json{{"value", value}});
}

http::Response ArmService::machine(const Call& call) {
    const auto& request = call.request;
    const auto method = request.method();
    const std::string scope =
        resourceGroupId(call.route.subscription_id, call.route.resource_group) +
        "/providers/Microsoft.HybridCompute/machines/" + call.route.name;
    std::string_view action;
    if (method == http::Verb::get) {
        action = actions::kMachineRead;
    } else if (method == http::Verb::put || method == http::Verb::patch) {
        action = actions::kMachineWrite;
    } else if (method == http::Verb::delete_) {
        action = actions::kMachineDelete;
    } else {
        return methodNotAllowed(request);
    }
    if (!isAuthorized(call.assignments, action, scope)) {
        return authorizationFailed(request, call.caller, action, scope);
    }
    if (method == http::Verb::put) {
        return putMachine(call);
    }
    auto found = context_.store.findMachine(call.route.subscription_id, call.route.resource_group,
                                            call.route.name);
    if (!found) {
        return internalError(request, found.error());
    }
    if (method == http::Verb::delete_) {
        if (!found.value()) {
            return emptyResponse(request, http::Status::no_content);
        }
        auto deleted = context_.store.deleteMachine(call.route.subscription_id,
                                                    call.route.resource_group, call.route.name);
        if (!deleted) {
            return internalError(request, deleted.error());
        }
        return emptyResponse(request, http::Status::ok);
    }
    if (!found.value()) {
        auto group =
            context_.store.findResourceGroup(call.route.subscription_id, call.route.resource_group);
        if (group && !group.value()) {
            return resourceGroupNotFound(request, call.route.resource_group);
        }
        return machineNotFound(request, call.route.resource_group, call.route.name);
    }
    MachineRecord machine = std::move(*found.value());
    if (method == http::Verb::patch) {
        return patchMachine(call, std::move(machine));
    }
    if (refreshStatus(machine, context_.clock(), context_.options.heartbeat_timeout)) {
        auto stored = context_.store.putMachine(machine);
        if (!stored) {
            return internalError(request, stored.error());
        }
    }
    return jsonResponse(request, http::Status::ok,
                        machineJson(machine, call.settings.tenant_id, call.api_version));
}

http::Response ArmService::putMachine(const Call& call) {
    const auto& request = call.request;
    if (!isValidMachineName(call.route.name)) {
        return badRequest(request, "InvalidResourceName",
                          "Resource name '" + call.route.name +
                              "' is invalid. The name can be up to 54 characters in length and "
                              "may contain letters, numbers, periods, hyphens and underscores, and "
                              "must not end with a hyphen or underscore.");
    }
    auto group =
        context_.store.findResourceGroup(call.route.subscription_id, call.route.resource_group);
    if (!group) {
        return internalError(request, group.error());
    }
    if (!group.value()) {
        return resourceGroupNotFound(request, call.route.resource_group);
    }
    const auto body = parseJsonObject(request.body());
    if (!body) {
        return badRequest(request, "InvalidRequestContent",
                          "The request content was invalid and could not be deserialized.");
    }
    if (!body->contains("location") || !body->at("location").is_string() ||
        body->at("location").get<std::string>().empty()) {
        return badRequest(request, "LocationRequired",
                          "The location property is required for this definition.");
    }
    const std::string location = normalizeLocation(body->at("location").get<std::string>());
    json tags = json::object();
    if (body->contains("tags") && !body->at("tags").is_null()) {
        if (!validTags(body->at("tags"))) {
            return badRequest(request, "InvalidRequestContent",
                              "The tags must be an object of string values.");
        }
        tags = body->at("tags");
    }
    std::optional<std::string> identity_type;
    if (body->contains("identity") && !body->at("identity").is_null()) {
        const auto& identity = body->at("identity");
        if (!identity.is_object() || !identity.contains("type") ||
            !identity.at("type").is_string()) {
            return badRequest(request, "InvalidIdentity", "identity.type must be a string.");
        }
        const auto type = identity.at("type").get<std::string>();
        if (equalsIgnoreCase(type, "SystemAssigned")) {
            identity_type = "SystemAssigned";
        } else if (equalsIgnoreCase(type, "None")) {
            identity_type = "";
        } else {
            return badRequest(request, "InvalidIdentityType",
                              "The identity type '" + type +
                                  "' is not supported; use 'SystemAssigned' or 'None'.");
        }
    }

    auto found = context_.store.findMachine(call.route.subscription_id, call.route.resource_group,
                                            call.route.name);
    if (!found) {
        return internalError(request, found.error());
    }
    const bool created = !found.value();
    const auto now = context_.clock();
    MachineRecord machine;
    if (created) {
        machine.subscription_id = call.route.subscription_id;
        machine.resource_group = group.value()->name;
        machine.name = call.route.name;
        machine.vm_id = crypto::randomGuid();
        machine.status = "Disconnected";
        machine.last_status_change = toUnixSeconds(now);
    } else {
        machine = std::move(*found.value());
        if (machine.location != location) {
            return errorResponse(request, http::Status::conflict, "InvalidResourceLocation",
                                 "The resource '" + machine.name +
                                     "' already exists in location '" + machine.location +
                                     "' in resource group '" + machine.resource_group +
                                     "'. A resource with the same name cannot be created in "
                                     "location '" +
                                     location + "'. Please select a new resource name.");
        }
    }
    machine.location = location;
    machine.tags = tags;
    if (identity_type) {
        if (identity_type->empty()) {
            machine.identity_type.clear();
            machine.principal_id.clear();
        } else if (machine.identity_type.empty()) {
            machine.identity_type = *identity_type;
            machine.principal_id = crypto::randomGuid();
        }
    }
    if (body->contains("properties") && !body->at("properties").is_null()) {
        auto merged = mergeProperties(machine.properties, body->at("properties"));
        if (merged) {
            merged = applyAgentUpgrade(machine.properties, body->at("properties"), call.api_version,
                                       AgentUpgradeWrite::kReplace);
        }
        if (!merged) {
            return badRequest(request, "InvalidParameter", merged.error().message);
        }
    }
    const std::string public_key = clientPublicKeyOf(machine.properties);
    if (!public_key.empty()) {
        machine.client_public_key = public_key;
    }
    machine.properties.erase("clientPublicKey"); // kept in its own column
    refreshStatus(machine, now, context_.options.heartbeat_timeout);
    auto stored = context_.store.putMachine(machine);
    if (!stored) {
        return internalError(request, stored.error());
    }
    return jsonResponse(request, created ? http::Status::created : http::Status::ok,
                        machineJson(machine, call.settings.tenant_id, call.api_version));
}

http::Response ArmService::patchMachine(const Call& call, MachineRecord machine) {
    const auto& request = call.request;
    const auto body = parseJsonObject(request.body());
    if (!body) {
        return badRequest(request, "InvalidRequestContent",
                          "The request content was invalid and could not be deserialized.");
    }
    if (body->contains("tags") && !body->at("tags").is_null()) {
        if (!validTags(body->at("tags"))) {
            return badRequest(request, "InvalidRequestContent",
                              "The tags must be an object of string values.");
        }
        machine.tags = body->at("tags");
    }
    if (body->contains("properties") && !body->at("properties").is_null()) {
        auto merged = mergeProperties(machine.properties, body->at("properties"));
        if (merged) {
            merged = applyAgentUpgrade(machine.properties, body->at("properties"), call.api_version,
                                       AgentUpgradeWrite::kMerge);
        }
        if (!merged) {
            return badRequest(request, "InvalidParameter", merged.error().message);
        }
        const std::string public_key = clientPublicKeyOf(machine.properties);
        if (!public_key.empty()) {
            machine.client_public_key = public_key;
        }
        machine.properties.erase("clientPublicKey");
    }
    refreshStatus(machine, context_.clock(), context_.options.heartbeat_timeout);
    auto stored = context_.store.putMachine(machine);
    if (!stored) {
        return internalError(request, stored.error());
    }
    return jsonResponse(request, http::Status::ok,
                        machineJson(machine, call.settings.tenant_id, call.api_version));
}

} // namespace azcm::emulator
