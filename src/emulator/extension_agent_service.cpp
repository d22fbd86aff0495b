#include "extension_agent_service.hpp"

#include "extension_view.hpp"
#include "http_util.hpp"
#include "log/log.hpp"
#include "machine_auth.hpp"

#include <spdlog/spdlog.h>

namespace azcm::emulator {

using nlohmann::json;

namespace {

http::Response internalError(const http::Request& request, const Error& error) {
    return errorResponse(request, http::Status::internal_server_error, "InternalError",
                         error.message);
}

http::Response invalid(const http::Request& request, std::string_view message) {
    return errorResponse(request, http::Status::bad_request, "InvalidRequest", message);
}

// One extension as the agent needs it. protectedSettings are left out until the control plane
// can encrypt them to the agent's settings certificate (issue 5 item 4).
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

std::string optionalString(const json& body, const char* key) {
    return body.contains(key) && body.at(key).is_string() ? body.at(key).get<std::string>()
                                                          : std::string();
}

struct Report {
    std::string name;
    std::string status; // Succeeded | Failed | Removed
    std::string code;
    std::string message;
    std::optional<std::int64_t> sequence_number;
    std::string type_handler_version;
};

std::optional<Report> parseReport(const json& body) {
    Report report;
    report.name = optionalString(body, "name");
    // "status", or "provisioningState" as in ARM's vocabulary.
    report.status = optionalString(body, "status");
    if (report.status.empty()) {
        report.status = optionalString(body, "provisioningState");
    }
    for (const char* key :
         {"name", "status", "provisioningState", "code", "message", "typeHandlerVersion"}) {
        if (body.contains(key) && !body.at(key).is_null() && !body.at(key).is_string()) {
            return std::nullopt;
        }
    }
    if (report.name.empty() ||
        (report.status != "Succeeded" && report.status != "Failed" && report.status != "Removed")) {
        return std::nullopt;
    }
    report.code = optionalString(body, "code");
    report.message = optionalString(body, "message");
    report.type_handler_version = optionalString(body, "typeHandlerVersion");
    if (body.contains("sequenceNumber") && !body.at("sequenceNumber").is_null()) {
        if (!body.at("sequenceNumber").is_number_integer()) {
            return std::nullopt;
        }
        report.sequence_number = body.at("sequenceNumber").get<std::int64_t>();
    }
    return report;
}

json instanceView(const ExtensionRecord& extension, const Report& report, SystemTime now) {
    const bool failed = report.status == "Failed";
    std::string version = report.type_handler_version;
    if (version.empty() && extension.properties.contains("typeHandlerVersion")) {
        version = extension.properties.at("typeHandlerVersion").get<std::string>();
    }
    const std::string type = extension.properties.value("type", std::string());
    return json{{"name", extension.name},
                {"type", type},
                {"typeHandlerVersion", version},
                {"status",
                 {{"code", report.code.empty() ? (failed ? "1" : "0") : report.code},
                  {"level", failed ? "Error" : "Info"},
                  {"displayStatus", failed ? "Provisioning failed" : "Provisioning succeeded"},
                  {"message", report.message},
                  {"time", rfc3339(now)}}}};
}

} // namespace

bool ExtensionAgentService::handles(const std::vector<std::string>& segments) {
    return segments.size() >= 2 && equalsIgnoreCase(segments[0], "machines") &&
           equalsIgnoreCase(segments[1], "extensions");
}

http::Response ExtensionAgentService::handle(const http::Request& request,
                                             const http::PeerInfo& peer,
                                             const std::vector<std::string>& segments) {
    const bool goal_state = segments.size() == 3 && equalsIgnoreCase(segments[2], "goalstate");
    const bool report_route = segments.size() == 3 && equalsIgnoreCase(segments[2], "report");
    if (!goal_state && !report_route) {
        return errorResponse(request, http::Status::not_found, "NotFound",
                             "No such extension service route.");
    }
    const auto expected = goal_state ? http::Verb::get : http::Verb::post;
    if (request.method() != expected) {
        return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                             goal_state ? "The goal state accepts GET only."
                                        : "Reports accept POST only.");
    }
    auto lookup = machineForPeer(context_, request, peer);
    if (lookup.failure) {
        return std::move(*lookup.failure);
    }
    return goal_state ? goalState(request, *lookup.machine) : report(request, *lookup.machine);
}

http::Response ExtensionAgentService::goalState(const http::Request& request,
                                                const MachineRecord& machine) {
    auto extensions = context_.store.listExtensions(machine.subscription_id, machine.resource_group,
                                                    machine.name);
    if (!extensions) {
        return internalError(request, extensions.error());
    }
    json entries = json::array();
    for (const auto& extension : extensions.value()) {
        entries.push_back(goalStateEntry(extension));
    }
    return jsonResponse(request, http::Status::ok, json{{"extensions", entries}});
}

http::Response ExtensionAgentService::report(const http::Request& request,
                                             const MachineRecord& machine) {
    const auto body = parseJsonObject(request.body());
    const auto parsed = body ? parseReport(*body) : std::nullopt;
    if (!parsed) {
        return invalid(request, "The body must be {\"name\", \"status\": \"Succeeded\"|\"Failed\"|"
                                "\"Removed\", \"code\", \"message\", \"sequenceNumber\"} with "
                                "string values (sequenceNumber an integer).");
    }
    const Report& report = *parsed;
    auto found = context_.store.findExtension(machine.subscription_id, machine.resource_group,
                                              machine.name, report.name);
    if (!found) {
        return internalError(request, found.error());
    }
    if (!found.value()) {
        return errorResponse(request, http::Status::not_found, "ExtensionNotFound",
                             "The machine has no extension '" + report.name + "'.");
    }
    ExtensionRecord extension = std::move(*found.value());
    // A report about an older goal state must not complete the operation of a newer one.
    if (report.sequence_number && *report.sequence_number != extension.sequence_number) {
        return errorResponse(request, http::Status::conflict, "SequenceNumberMismatch",
                             "The report is for sequence number " +
                                 std::to_string(*report.sequence_number) + "; the goal state has " +
                                 std::to_string(extension.sequence_number) + ".");
    }
    const bool deleting = extension.provisioning_state == "Deleting";
    if (deleting && report.status == "Succeeded") {
        return errorResponse(request, http::Status::conflict, "ExtensionBeingDeleted",
                             "Extension '" + extension.name +
                                 "' is being deleted; report \"Removed\" or \"Failed\".");
    }
    if (!deleting && report.status == "Removed") {
        return errorResponse(request, http::Status::conflict, "ExtensionNotBeingDeleted",
                             "Extension '" + extension.name + "' is not being deleted.");
    }
    const auto now = context_.clock.now();
    auto stored = context_.store.transaction([&]() -> Result<void> {
        if (!extension.operation_id.empty()) {
            BOOST_OUTCOME_TRY(operation, context_.store.findOperation(extension.operation_id));
            if (operation && operation->status == "InProgress") {
                operation->status = report.status == "Failed" ? "Failed" : "Succeeded";
                operation->end_time = toUnixSeconds(now);
                if (report.status == "Failed") {
                    operation->error_code =
                        report.code.empty() ? "ExtensionOperationFailed" : report.code;
                    operation->error_message = report.message.empty()
                                                   ? "The extension operation failed on the "
                                                     "machine."
                                                   : report.message;
                }
                BOOST_OUTCOME_TRY(context_.store.putOperation(*operation));
            }
        }
        if (report.status == "Removed") {
            BOOST_OUTCOME_TRY(context_.store.deleteExtension(extension.subscription_id,
                                                             extension.resource_group,
                                                             extension.machine, extension.name));
            return ok();
        }
        extension.provisioning_state = report.status;
        extension.instance_view = instanceView(extension, report, now);
        extension.operation_id.clear();
        return context_.store.putExtension(extension);
    });
    if (!stored) {
        return internalError(request, stored.error());
    }
    spdlog::info("EMULATOR_EXTENSION_REPORT extension={} status={}",
                 log::sanitize(extensionId(extension)), report.status);
    return jsonResponse(
        request, http::Status::ok,
        json{{"name", extension.name},
             {"provisioningState", report.status == "Removed" ? "Deleted" : report.status}});
}

} // namespace azcm::emulator
