#include "emulator/guest_configuration_arm.hpp"

#include "emulator/api_versions.hpp"
#include "emulator/arm_service.hpp"
#include "emulator/extension_goal_state.hpp"
#include "emulator/http_util.hpp"
#include "emulator/machine_view.hpp"
#include "emulator/package_store.hpp"
#include "emulator/rbac.hpp"

#include <algorithm>
#include <cctype>

namespace azcm::emulator {

using nlohmann::json;

namespace {

http::Response badRequest(const http::Request& request, std::string_view message) {
    return errorResponse(request, http::Status::bad_request, "InvalidParameter", message);
}

std::string machineScope(const GcAssignmentCall& call) {
    return resourceGroupId(call.subscription_id, call.resource_group) +
           "/providers/Microsoft.HybridCompute/machines/" + call.machine;
}

std::string assignmentScope(const GcAssignmentCall& call) {
    return machineScope(call) + "/providers/" + std::string(kGcAssignmentType) + "/" + call.name;
}

// Assignment names as Azure Policy creates them: [A-Za-z0-9-_.$]{1,128}, not starting with '.'.
bool isValidAssignmentName(const std::string& name) {
    return !name.empty() && name.size() <= 128 && name.front() != '.' &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                      c == '.' || c == '$';
           });
}

bool isAssignmentType(const std::string& type) {
    // Case-sensitive, as in Azure.
    return type == "Audit" || type == "ApplyAndMonitor" || type == "ApplyAndAutoCorrect";
}

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

http::Response
notFound(const http::Request& request, const GcAssignmentCall& call, bool machine_missing) {
    if (machine_missing) {
        return errorResponse(request, http::Status::not_found, "ParentResourceNotFound",
                             "Can not perform requested operation on nested resource. Parent "
                             "resource '" +
                                 call.machine + "' not found.");
    }
    return errorResponse(request, http::Status::not_found, "ResourceNotFound",
                         "The guest configuration assignment '" + call.name +
                             "' was not found on machine '" + call.machine + "'.");
}

} // namespace

const std::vector<std::string>& guestConfigurationApiVersions() {
    static const std::vector<std::string> kVersions = {"2018-11-20", "2020-06-25", "2022-01-25",
                                                       "2024-04-05"};
    return kVersions;
}

std::string gcAssignmentId(const GcAssignmentRecord& assignment) {
    return resourceGroupId(assignment.subscription_id, assignment.resource_group) +
           "/providers/Microsoft.HybridCompute/machines/" + assignment.machine + "/providers/" +
           std::string(kGcAssignmentType) + "/" + assignment.name;
}

json gcAssignmentJson(const GcAssignmentRecord& assignment) {
    const std::string machine_id =
        resourceGroupId(assignment.subscription_id, assignment.resource_group) +
        "/providers/Microsoft.HybridCompute/machines/" + assignment.machine;
    json properties{
        {"targetResourceId", machine_id},
        {"guestConfiguration", assignment.guest_configuration},
        {"complianceStatus", assignment.compliance_status},
        {"lastComplianceStatusChecked",
         assignment.last_compliance_checked
             ? json(rfc3339(fromUnixSeconds(*assignment.last_compliance_checked)))
             : json(nullptr)},
        {"latestReportId", assignment.latest_report.is_object()
                               ? assignment.latest_report.value("id", json(nullptr))
                               : json(nullptr)},
        {"latestAssignmentReport", assignment.latest_report},
        {"context", "Azure policy"},
        {"assignmentHash", assignment.guest_configuration.value("contentHash", std::string())},
        {"provisioningState", "Succeeded"},
        {"resourceType", "Microsoft.HybridCompute/machines"},
    };
    return json{{"id", gcAssignmentId(assignment)},
                {"name", assignment.name},
                {"location", assignment.location},
                {"type", kGcAssignmentType},
                {"properties", properties}};
}

http::Response GcAssignmentArm::handle(const GcAssignmentCall& call) {
    const auto& request = call.request;
    const auto& versions = guestConfigurationApiVersions();
    if (call.api_version.empty() || !isSupportedApiVersion(versions, call.api_version)) {
        return errorResponse(request, http::Status::bad_request, "InvalidApiVersionParameter",
                             "The api-version '" + call.api_version +
                                 "' is invalid. The supported api-versions are '" +
                                 joinApiVersions(versions) + "'.");
    }
    const auto method = request.method();
    std::string_view action;
    if (method == http::Verb::get) {
        action = actions::kGcAssignmentRead;
    } else if (method == http::Verb::put && !call.name.empty()) {
        action = actions::kGcAssignmentWrite;
    } else if (method == http::Verb::delete_ && !call.name.empty()) {
        action = actions::kGcAssignmentDelete;
    } else {
        return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                             "The requested resource does not support http method '" +
                                 std::string(request.method_string()) + "'.");
    }
    const bool listing = call.name.empty();
    const std::string scope = listing ? machineScope(call) : assignmentScope(call);
    // Authorization first: a caller without the permission learns nothing about existence.
    if (listing ? !mayHoldBelow(call.assignments, action, scope)
                : !isAuthorized(call.assignments, action, scope)) {
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
        return notFound(request, call, true);
    }
    const MachineRecord& target = *machine.value();
    if (listing) {
        return list(call, target);
    }
    if (method == http::Verb::put) {
        return put(call, target);
    }
    if (method == http::Verb::delete_) {
        auto removed =
            gc_.remove(target.subscription_id, target.resource_group, target.name, call.name);
        if (!removed) {
            return internalError(request, removed.error());
        }
        goalStateChanged(context_, target.subscription_id, target.resource_group, target.name);
        return emptyResponse(request,
                             removed.value() ? http::Status::ok : http::Status::no_content);
    }
    auto found = gc_.find(target.subscription_id, target.resource_group, target.name, call.name);
    if (!found) {
        return internalError(request, found.error());
    }
    if (!found.value()) {
        return notFound(request, call, false);
    }
    return jsonResponse(request, http::Status::ok, gcAssignmentJson(*found.value()));
}

http::Response GcAssignmentArm::list(const GcAssignmentCall& call, const MachineRecord& machine) {
    auto records = gc_.list(machine.subscription_id, machine.resource_group, machine.name);
    if (!records) {
        return internalError(call.request, records.error());
    }
    json value = json::array();
    for (const auto& record : records.value()) {
        if (isAuthorized(call.assignments, actions::kGcAssignmentRead, gcAssignmentId(record))) {
            value.push_back(gcAssignmentJson(record));
        }
    }
    return jsonResponse(call.request, http::Status::ok, json{{"value", value}});
}

http::Response GcAssignmentArm::put(const GcAssignmentCall& call, const MachineRecord& machine) {
    const auto& request = call.request;
    if (!isValidAssignmentName(call.name)) {
        return errorResponse(request, http::Status::bad_request, "InvalidResourceName",
                             "Resource name '" + call.name + "' is invalid.");
    }
    const auto body = parseJsonObject(request.body());
    if (!body) {
        return errorResponse(request, http::Status::bad_request, "InvalidRequestContent",
                             "The request content was invalid and could not be deserialized.");
    }
    const json properties = body->value("properties", json::object());
    const json incoming =
        properties.is_object() ? properties.value("guestConfiguration", json()) : json();
    if (!incoming.is_object()) {
        return badRequest(request, "properties.guestConfiguration must be an object.");
    }
    for (const char* key : {"name", "version", "assignmentType", "contentUri", "contentHash"}) {
        if (incoming.contains(key) && !incoming.at(key).is_null() &&
            !incoming.at(key).is_string()) {
            return badRequest(request, std::string("properties.guestConfiguration.") + key +
                                           " must be a string.");
        }
    }
    const std::string configuration = incoming.value("name", std::string());
    const std::string version = incoming.value("version", std::string());
    std::string type =
        incoming.contains("assignmentType") && incoming.at("assignmentType").is_string()
            ? incoming.at("assignmentType").get<std::string>()
            : std::string("Audit");
    if (configuration.empty() || version.empty()) {
        return badRequest(request, "properties.guestConfiguration.name and .version are required.");
    }
    if (!isAssignmentType(type)) {
        return badRequest(request, "properties.guestConfiguration.assignmentType '" + type +
                                       "' is invalid; use Audit, ApplyAndMonitor or "
                                       "ApplyAndAutoCorrect (case-sensitive).");
    }
    auto package =
        findPackage(context_.store, kPackageKindGuestConfiguration, "", configuration, version);
    if (!package) {
        return internalError(request, package.error());
    }
    if (!package.value()) {
        return errorResponse(request, http::Status::bad_request,
                             "GuestConfigurationPackageNotFound",
                             "No guest configuration package '" + configuration + "' version '" +
                                 version + "' is published (arc-emulator gc publish).");
    }
    const std::string content_hash = upper(package.value()->sha256);
    // A caller-given hash must name the published package: a stale or foreign hash is refused
    // rather than silently replaced.
    if (incoming.contains("contentHash") && incoming.at("contentHash").is_string() &&
        !incoming.at("contentHash").get<std::string>().empty() &&
        !equalsIgnoreCase(incoming.at("contentHash").get<std::string>(), content_hash)) {
        return badRequest(request, "properties.guestConfiguration.contentHash does not match the "
                                   "published package '" +
                                       configuration + "' " + version + ".");
    }
    std::string location = machine.location;
    if (body->contains("location") && body->at("location").is_string()) {
        location = normalizeLocation(body->at("location").get<std::string>());
    }

    auto found = gc_.find(machine.subscription_id, machine.resource_group, machine.name, call.name);
    if (!found) {
        return internalError(request, found.error());
    }
    const bool created = !found.value();
    GcAssignmentRecord record;
    if (created) {
        record.subscription_id = machine.subscription_id;
        record.resource_group = machine.resource_group;
        record.machine = machine.name;
        record.name = call.name;
        record.created_at = toUnixSeconds(context_.clock());
    } else {
        record = std::move(*found.value());
    }
    json configured{
        {"name", package.value()->type},
        {"version", package.value()->version},
        {"assignmentType", type},
        {"contentUri", context_.base_url + packageDownloadPath(*package.value())},
        {"contentHash", content_hash},
        {"configurationParameter", incoming.value("configurationParameter", json::array())}};
    // Any change to what the machine should do starts a new compliance cycle.
    if (created || configured != record.guest_configuration) {
        record.compliance_status = "Pending";
        record.sequence_number += 1;
    }
    record.location = location;
    record.guest_configuration = std::move(configured);
    if (auto stored = gc_.put(record); !stored) {
        return internalError(request, stored.error());
    }
    goalStateChanged(context_, machine.subscription_id, machine.resource_group, machine.name);
    return jsonResponse(request, created ? http::Status::created : http::Status::ok,
                        gcAssignmentJson(record));
}

} // namespace azcm::emulator
