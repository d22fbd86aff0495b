#include "emulator/guest_configuration_agent_service.hpp"

#include "common/crypto/encoding.hpp"
#include "common/log/log.hpp"
#include "emulator/guest_configuration_arm.hpp"
#include "emulator/http_util.hpp"
#include "emulator/long_poll.hpp"
#include "emulator/machine_auth.hpp"
#include "emulator/package_store.hpp"

#include <spdlog/spdlog.h>

namespace azcm::emulator {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxReportResources = 1000;
constexpr std::size_t kMaxReasonLength = 2048;

http::Response invalid(const http::Request& request, std::string_view message) {
    return errorResponse(request, http::Status::bad_request, "InvalidRequest", message);
}

bool isString(const json& object, const char* key) {
    return object.contains(key) && object.at(key).is_string();
}

std::string clip(std::string text) {
    if (text.size() > kMaxReasonLength) {
        text.resize(kMaxReasonLength);
    }
    return text;
}

// The ARM form of one resource of the agent's report:
// {complianceStatus, resourceId, reasons: [{phrase, code}]}.
std::optional<json> armResource(const json& resource) {
    if (!resource.is_object() || !isString(resource, "id") || !resource.contains("compliant") ||
        !resource.at("compliant").is_boolean()) {
        return std::nullopt;
    }
    const bool compliant = resource.at("compliant").get<bool>();
    std::string phrase =
        isString(resource, "reason") ? resource.at("reason").get<std::string>() : std::string();
    // The engine repeats a failed test's error as its reason: say it once.
    if (isString(resource, "error") && !resource.at("error").get<std::string>().empty() &&
        resource.at("error").get<std::string>() != phrase) {
        phrase += (phrase.empty() ? "" : "; ") + resource.at("error").get<std::string>();
    }
    const std::string type =
        isString(resource, "type") ? resource.at("type").get<std::string>() : std::string();
    json out{
        {"complianceStatus", compliant ? "Compliant" : "NonCompliant"},
        {"resourceId", clip(resource.at("id").get<std::string>())},
        {"reasons", json::array({{{"phrase", clip(phrase)},
                                  {"code", "GuestConfiguration:" + clip(type) + ":" +
                                               (compliant ? "Compliant" : "NonCompliant")}}})}};
    if (resource.contains("remediated") && resource.at("remediated").is_boolean()) {
        out["properties"] = json{{"remediated", resource.at("remediated").get<bool>()}};
    }
    return out;
}

// ETag of a goal state: its content hash, so any change is a new tag.
std::string etagOf(const json& body) {
    return "\"" + crypto::hexEncode(crypto::sha256(body.dump())).substr(0, 32) + "\"";
}

} // namespace

http::Response GcAgentService::handle(const http::Request& request,
                                      const http::PeerInfo& peer,
                                      const std::vector<std::string>& segments) {
    const bool machines = segments.size() == 2 && equalsIgnoreCase(segments[0], "machines");
    const bool goal_state = machines && equalsIgnoreCase(segments[1], "assignments");
    const bool report_route = machines && equalsIgnoreCase(segments[1], "reports");
    if (!goal_state && !report_route) {
        return errorResponse(request, http::Status::not_found, "NotFound",
                             "No such guest configuration route.");
    }
    const auto expected = goal_state ? http::Verb::get : http::Verb::post;
    if (request.method() != expected) {
        return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                             goal_state ? "The assignments accept GET only."
                                        : "Reports accept POST only.");
    }
    auto lookup = machineForAgent(context_, request, peer);
    if (lookup.failure) {
        return std::move(*lookup.failure);
    }
    return goal_state ? goalState(request, *lookup.machine) : report(request, *lookup.machine);
}

bool GcAgentService::isAssignmentsRequest(const http::Request& request) {
    return isGetOfPath(request, {"gc", "machines", "assignments"});
}

void GcAgentService::assignmentsAsync(http::Request&& request,
                                      const http::PeerInfo& peer,
                                      http::Respond respond) {
    auto lookup = machineForAgent(context_, request, peer);
    if (lookup.failure) {
        respond(std::move(*lookup.failure));
        return;
    }
    answerNowOrOnChange(context_, std::move(request), std::move(*lookup.machine),
                        std::move(respond),
                        [this](const http::Request& asked, const MachineRecord& machine) {
                            return goalState(asked, machine);
                        });
}

http::Response GcAgentService::goalState(const http::Request& request,
                                         const MachineRecord& machine) {
    auto records = gc_.list(machine.subscription_id, machine.resource_group, machine.name);
    if (!records) {
        return internalError(request, records.error());
    }
    json entries = json::array();
    for (const auto& record : records.value()) {
        const auto& configuration = record.guest_configuration;
        json entry{{"name", record.name},
                   {"configurationName", configuration.value("name", std::string())},
                   {"version", configuration.value("version", std::string())},
                   {"assignmentType", configuration.value("assignmentType", std::string())},
                   {"sequenceNumber", record.sequence_number},
                   {"package", nullptr}};
        auto package = findPackage(context_.store, kPackageKindGuestConfiguration, "",
                                   configuration.value("name", std::string()),
                                   configuration.value("version", std::string()));
        if (!package) {
            return internalError(request, package.error());
        }
        if (package.value()) {
            entry["package"] = packageJson(*package.value(), context_.base_url);
        }
        entries.push_back(std::move(entry));
    }
    const json body{{"assignments", entries}};
    const std::string etag = etagOf(body);
    const auto if_none_match = request.find(http::Field::if_none_match);
    if (if_none_match != request.end() &&
        std::string_view(if_none_match->value().data(), if_none_match->value().size()) == etag) {
        auto response = emptyResponse(request, http::Status::not_modified);
        response.set(http::Field::etag, etag);
        return response;
    }
    auto response = jsonResponse(request, http::Status::ok, body);
    response.set(http::Field::etag, etag);
    return response;
}

http::Response GcAgentService::report(const http::Request& request, const MachineRecord& machine) {
    const auto body = parseJsonObject(request.body());
    if (!body || !isString(*body, "name") || !body->contains("sequenceNumber") ||
        !body->at("sequenceNumber").is_number_integer()) {
        return invalid(request, "The body must carry \"name\" (string) and \"sequenceNumber\" "
                                "(integer); see docs/protocol.md section 4.");
    }
    const bool evaluated = body->value("evaluated", true);
    const std::string status =
        isString(*body, "complianceStatus") ? body->at("complianceStatus").get<std::string>() : "";
    if (evaluated && status != "Compliant" && status != "NonCompliant") {
        return invalid(request, "complianceStatus must be Compliant or NonCompliant.");
    }
    if (!evaluated && !isString(*body, "reason")) {
        return invalid(request, "A report with \"evaluated\": false must give a \"reason\".");
    }
    json resources = json::array();
    if (evaluated) {
        const json& given = body->value("resources", json::array());
        if (!given.is_array() || given.size() > kMaxReportResources) {
            return invalid(request, "resources must be an array of at most 1000 entries.");
        }
        for (const auto& resource : given) {
            auto converted = armResource(resource);
            if (!converted) {
                return invalid(request, "Each resource needs \"id\" (string) and \"compliant\" "
                                        "(boolean).");
            }
            resources.push_back(std::move(*converted));
        }
    }
    const std::string name = body->at("name").get<std::string>();
    auto found = gc_.find(machine.subscription_id, machine.resource_group, machine.name, name);
    if (!found) {
        return internalError(request, found.error());
    }
    if (!found.value()) {
        return errorResponse(request, http::Status::not_found, "AssignmentNotFound",
                             "The machine has no guest configuration assignment '" + name + "'.");
    }
    GcAssignmentRecord record = std::move(*found.value());
    const auto sequence = body->at("sequenceNumber").get<std::int64_t>();
    // A report about an older assignment must not stand for the current one.
    if (sequence != record.sequence_number) {
        return errorResponse(request, http::Status::conflict, "SequenceNumberMismatch",
                             "The report is for sequence number " + std::to_string(sequence) +
                                 "; the assignment has " + std::to_string(record.sequence_number) +
                                 ".");
    }
    const auto now = context_.clock();
    if (!evaluated) {
        // Nothing was evaluated (a local setting forbids it): the status stays, the reason shows.
        const std::string code = isString(*body, "reasonCode")
                                     ? body->at("reasonCode").get<std::string>()
                                     : std::string("NotEvaluated");
        resources.push_back(
            json{{"complianceStatus", record.compliance_status},
                 {"resourceId", "[agent]evaluation"},
                 {"reasons", json::array({{{"phrase", clip(body->at("reason").get<std::string>())},
                                           {"code", "GuestConfiguration:" + clip(code)}}})}});
    }
    const std::string report_status = evaluated ? status : record.compliance_status;
    const std::string report_id = crypto::randomGuid();
    record.latest_report = json{
        {"id", gcAssignmentId(record) + "/reports/" + report_id},
        {"reportId", report_id},
        {"complianceStatus", report_status},
        {"evaluated", evaluated},
        {"operationType", body->value("operationType", std::string("Consistency"))},
        {"startTime", isString(*body, "startTime") ? body->at("startTime") : json(rfc3339(now))},
        {"endTime", isString(*body, "endTime") ? body->at("endTime") : json(rfc3339(now))},
        {"assignment",
         {{"name", record.name},
          {"configuration",
           {{"name", record.guest_configuration.value("name", std::string())},
            {"version", record.guest_configuration.value("version", std::string())}}}}},
        {"vm", {{"id", record.machine}, {"uuid", machine.vm_id}}},
        {"resources", resources}};
    if (evaluated) {
        record.compliance_status = status;
        record.last_compliance_checked = toUnixSeconds(now);
    }
    if (auto stored = gc_.put(record); !stored) {
        return internalError(request, stored.error());
    }
    spdlog::info("EMULATOR_GC_REPORT assignment={} evaluated={} status={}",
                 log::sanitize(gcAssignmentId(record)), evaluated, record.compliance_status);
    return jsonResponse(request, http::Status::ok,
                        json{{"name", record.name},
                             {"complianceStatus", record.compliance_status},
                             {"reportId", report_id}});
}

} // namespace azcm::emulator
