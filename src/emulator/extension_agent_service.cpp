#include "emulator/extension_agent_service.hpp"

#include "common/crypto/agent_package.hpp"
#include "common/crypto/cms.hpp"
#include "common/log/log.hpp"
#include "emulator/data_dir.hpp"
#include "emulator/extension_view.hpp"
#include "emulator/goal_state_waiters.hpp"
#include "emulator/http_util.hpp"
#include "emulator/long_poll.hpp"
#include "emulator/machine_auth.hpp"
#include "emulator/machine_view.hpp"
#include "emulator/package_store.hpp"
#include "emulator/protected_settings.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace azcm::emulator {

using nlohmann::json;

namespace {

http::Response invalid(const http::Request& request, std::string_view message) {
    return errorResponse(request, http::Status::bad_request, "InvalidRequest", message);
}

// If-None-Match: "*" or a list of entity tags (weak ones compare by their opaque part).
bool ifNoneMatchHas(std::string_view header, const std::string& etag) {
    std::size_t start = 0;
    while (start < header.size()) {
        auto comma = header.find(',', start);
        auto item = header.substr(start, comma == std::string_view::npos ? comma : comma - start);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (item.substr(0, 2) == "W/") {
            item.remove_prefix(2);
        }
        if (item == "*" || item == etag) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return false;
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
           (equalsIgnoreCase(segments[1], "extensions") ||
            equalsIgnoreCase(segments[1], "packages"));
}

bool ExtensionAgentService::isGoalStateRequest(const http::Request& request) {
    return isGetOfPath(request, {"his", "machines", "extensions", "goalstate"});
}

http::Response ExtensionAgentService::handle(const http::Request& request,
                                             const http::PeerInfo& peer,
                                             const std::vector<std::string>& segments) {
    const auto route = [&](std::string_view name) {
        return segments.size() == 3 && equalsIgnoreCase(segments[2], name);
    };
    if (equalsIgnoreCase(segments[1], "packages")) {
        if (request.method() != http::Verb::get) {
            return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                                 "Packages accept GET only.");
        }
        auto lookup = machineForAgent(context_, request, peer);
        if (lookup.failure) {
            return std::move(*lookup.failure);
        }
        return package(request, segments);
    }
    http::Verb expected = http::Verb::get;
    if (route("report")) {
        expected = http::Verb::post;
    } else if (route("settingsCertificate")) {
        expected = http::Verb::put;
    } else if (!route("goalstate")) {
        return errorResponse(request, http::Status::not_found, "NotFound",
                             "No such extension service route.");
    }
    if (request.method() != expected) {
        return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                             "This route accepts " +
                                 std::string(http::beast_http::to_string(expected)) + " only.");
    }
    auto lookup = machineForAgent(context_, request, peer);
    if (lookup.failure) {
        return std::move(*lookup.failure);
    }
    if (route("report")) {
        return report(request, *lookup.machine);
    }
    if (route("settingsCertificate")) {
        return settingsCertificate(request, *lookup.machine);
    }
    return goalState(request, *lookup.machine);
}

http::Response ExtensionAgentService::answer(const http::Request& request,
                                             const ExtensionGoalState& state) const {
    const auto match = request.find(http::Field::if_none_match);
    if (match != request.end() &&
        ifNoneMatchHas(std::string_view(match->value().data(), match->value().size()),
                       state.etag)) {
        auto response = emptyResponse(request, http::Status::not_modified);
        response.set(http::Field::etag, state.etag);
        return response;
    }
    auto response = jsonResponse(request, http::Status::ok, state.body);
    response.set(http::Field::etag, state.etag);
    return response;
}

http::Response ExtensionAgentService::goalState(const http::Request& request,
                                                const MachineRecord& machine) {
    auto state = composeGoalState(context_, machine);
    if (!state) {
        return internalError(request, state.error());
    }
    return answer(request, state.value());
}

void ExtensionAgentService::goalStateAsync(http::Request&& request,
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

http::Response ExtensionAgentService::settingsCertificate(const http::Request& request,
                                                          const MachineRecord& machine) {
    const auto body = parseJsonObject(request.body());
    if (!body || !body->contains("certificate") || !body->at("certificate").is_string()) {
        return invalid(request, "The body must be {\"certificate\": \"<PEM>\"}.");
    }
    auto pem =
        validateSettingsCertificate(body->at("certificate").get<std::string>(), context_.clock());
    if (!pem) {
        return errorResponse(request, http::Status::bad_request, "InvalidCertificate",
                             pem.error().message);
    }
    auto thumbprint = crypto::certificateThumbprint(pem.value());
    if (!thumbprint) {
        return internalError(request, thumbprint.error());
    }
    auto stored = context_.store.putSettingsCertificate(machine, pem.value());
    if (!stored) {
        return internalError(request, stored.error());
    }
    goalStateChanged(context_, machine.subscription_id, machine.resource_group, machine.name);
    spdlog::info("EMULATOR_SETTINGS_CERT_REGISTERED machine={} thumbprint={}",
                 log::sanitize(machineId(machine)), thumbprint.value());
    return jsonResponse(request, http::Status::ok, json{{"thumbprint", thumbprint.value()}});
}

http::Response ExtensionAgentService::package(const http::Request& request,
                                              const std::vector<std::string>& segments) {
    // machines/packages/extension/{publisher}/{type}/{version}
    // machines/packages/guestconfiguration/{name}/{version}
    // machines/packages/agent/{platform}/{version}, and machines/packages/agent/{platform}: the
    // versions published for that platform
    if (segments.size() == 4 && segments[2] == kPackageKindAgent) {
        return agentVersions(request, segments[3]);
    }
    const bool extension = segments.size() == 6 && segments[2] == kPackageKindExtension;
    const bool guest = segments.size() == 5 && (segments[2] == kPackageKindGuestConfiguration ||
                                                segments[2] == kPackageKindAgent);
    if (!extension && !guest) {
        return errorResponse(request, http::Status::not_found, "NotFound",
                             "No such package route.");
    }
    const std::string publisher = extension ? segments[3] : std::string();
    const std::string& type = segments[segments.size() - 2];
    const std::string& version = segments.back();
    auto found = findPackage(context_.store, segments[2], publisher, type, version);
    if (!found) {
        return internalError(request, found.error());
    }
    if (!found.value() || found.value()->version != version) {
        return errorResponse(request, http::Status::not_found, "PackageNotFound",
                             "No package is published for that name and version.");
    }
    auto bytes = readPackageBytes(DataDir(context_.options.data_dir), *found.value());
    if (!bytes) {
        return internalError(request, bytes.error());
    }
    http::Response response{http::Status::ok, request.version()};
    response.keep_alive(request.keep_alive());
    response.set(http::Field::content_type, packageContentType(*found.value()));
    response.set(http::Field::etag, "\"" + found.value()->sha256 + "\"");
    response.body() = std::move(bytes.value());
    response.prepare_payload();
    return response;
}

http::Response ExtensionAgentService::agentVersions(const http::Request& request,
                                                    const std::string& platform) {
    if (!crypto::parseAgentPlatform(platform)) {
        return errorResponse(request, http::Status::not_found, "UnknownPlatform",
                             "Agent packages exist for the platforms deb, rpm and msi.");
    }
    auto packages = listAgentPackages(context_.store, platform);
    if (!packages) {
        return internalError(request, packages.error());
    }
    json versions = json::array();
    for (const auto& package : packages.value()) {
        json entry = packageJson(package, context_.base_url);
        entry["version"] = package.version;
        // The support window of agent_support starts here (docs/protocol.md 3.3.1).
        entry["released"] = rfc3339(fromUnixSeconds(package.released_at));
        versions.push_back(std::move(entry));
    }
    return jsonResponse(request, http::Status::ok,
                        json{{"platform", platform}, {"versions", std::move(versions)}});
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
    const auto now = context_.clock();
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
    goalStateChanged(context_, machine.subscription_id, machine.resource_group, machine.name);
    spdlog::info("EMULATOR_EXTENSION_REPORT extension={} status={}",
                 log::sanitize(extensionId(extension)), report.status);
    return jsonResponse(
        request, http::Status::ok,
        json{{"name", extension.name},
             {"provisioningState", report.status == "Removed" ? "Deleted" : report.status}});
}

} // namespace azcm::emulator
