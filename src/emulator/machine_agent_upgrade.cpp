#include "emulator/machine_agent_upgrade.hpp"

#include "common/agent_upgrade_fields.hpp"
#include "common/agent_version.hpp"
#include "common/utc_time.hpp"
#include "emulator/http_util.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace azcm::emulator {

using nlohmann::json;

namespace {

constexpr std::array<const char*, 4> kReportedMembers = {
    "lastAttemptStatus", "lastAttemptMessage", "lastAttemptTimestamp", "lastAttemptDesiredVersion"};

using agentupgrade::isAttemptMessage;
using agentupgrade::isAttemptStatus;
using agentupgrade::isCorrelationId;
using agentupgrade::isDesiredVersion;

bool isTimestamp(const std::string& text) {
    return parseRfc3339(text).has_value();
}

struct WritableMember {
    const char* name;
    json default_value;
    bool (*valid)(const json& value);
    const char* rule; // completes "... must be "
};

const std::array<WritableMember, 3>& writableMembers() {
    static const std::array<WritableMember, 3> kMembers = {{
        {"enableAutomaticUpgrade", false, [](const json& value) { return value.is_boolean(); },
         "true or false"},
        {"desiredVersion", "",
         [](const json& value) {
             return value.is_string() && isDesiredVersion(value.get_ref<const std::string&>());
         },
         "empty, MAJOR.MINOR or MAJOR.MINOR.BUILD.REVISION, each 0-65535"},
        {"correlationId", "",
         [](const json& value) {
             return value.is_string() && isCorrelationId(value.get_ref<const std::string&>());
         },
         "a string of at most 64 printable ASCII characters"},
    }};
    return kMembers;
}

json storedAgentUpgrade(const json& properties) {
    if (properties.contains(kAgentUpgradeProperty) &&
        properties.at(kAgentUpgradeProperty).is_object()) {
        return properties.at(kAgentUpgradeProperty);
    }
    return json::object();
}

Error invalidMember(const std::string& path, const char* rule) {
    return makeError(exitcode::kInvalidArgument, path + " must be " + rule);
}

// The report's string member `name` (absent and null read as ""), when it passes `valid`.
Result<std::string> reportedString(const json& report,
                                   const std::string& name,
                                   bool (*valid)(const std::string&),
                                   const char* rule) {
    std::string text;
    if (report.contains(name) && !report.at(name).is_null()) {
        if (!report.at(name).is_string()) {
            return invalidMember("agentUpgrade." + name, rule);
        }
        text = report.at(name).get<std::string>();
    }
    if (!valid(text)) {
        return invalidMember("agentUpgrade." + name, rule);
    }
    return text;
}

} // namespace

Result<void>
applyAgentUpgradeRequest(json& properties, const json& requested, AgentUpgradeWrite write) {
    static const json kNothingRequested = json::object();
    // null asks for the defaults, like a PUT that names no member.
    const json& members = requested.is_null() ? kNothingRequested : requested;
    if (!members.is_object()) {
        return makeError(exitcode::kInvalidArgument, "properties.agentUpgrade must be an object");
    }
    const bool replace = write == AgentUpgradeWrite::kReplace || requested.is_null();
    json stored = storedAgentUpgrade(properties);
    for (const auto& member : writableMembers()) {
        if (!members.contains(member.name) || members.at(member.name).is_null()) {
            // Absent from a PATCH: unchanged. null, or absent from a PUT: back to the default.
            if (replace || members.contains(member.name)) {
                stored.erase(member.name);
            }
            continue;
        }
        const auto& value = members.at(member.name);
        if (!member.valid(value)) {
            return invalidMember(std::string("properties.agentUpgrade.") + member.name,
                                 member.rule);
        }
        stored[member.name] = value;
    }
    properties[kAgentUpgradeProperty] = std::move(stored);
    return ok();
}

json agentUpgradeDirective(const json& properties) {
    const json stored = storedAgentUpgrade(properties);
    json directive = json::object();
    for (const auto& member : writableMembers()) {
        directive[member.name] =
            stored.contains(member.name) ? stored.at(member.name) : member.default_value;
    }
    return directive;
}

json agentUpgradeView(const json& properties) {
    const json stored = storedAgentUpgrade(properties);
    json view = agentUpgradeDirective(properties);
    for (const char* name : kReportedMembers) {
        if (stored.contains(name)) {
            view[name] = stored.at(name);
        }
    }
    return view;
}

Result<void> applyAgentUpgradeReport(json& properties, const json& report) {
    if (!report.is_object()) {
        return makeError(exitcode::kInvalidArgument, "agentUpgrade must be an object");
    }
    BOOST_OUTCOME_TRY(
        status, reportedString(report, "lastAttemptStatus", isAttemptStatus, "Success or Failed"));
    BOOST_OUTCOME_TRY(message, reportedString(report, "lastAttemptMessage", isAttemptMessage,
                                              "a string of at most 1024 characters"));
    BOOST_OUTCOME_TRY(timestamp,
                      reportedString(report, "lastAttemptTimestamp", isTimestamp,
                                     "an ISO 8601 date and time (2026-11-28T13:45:00Z)"));
    BOOST_OUTCOME_TRY(desired_version,
                      reportedString(report, "lastAttemptDesiredVersion", isDesiredVersion,
                                     "empty, MAJOR.MINOR or MAJOR.MINOR.BUILD.REVISION"));
    // ARM has no member for the attempt's correlation id: checked like the others, not kept.
    BOOST_OUTCOME_TRY(reportedString(report, "correlationId", isCorrelationId,
                                     "a string of at most 64 printable ASCII characters"));
    json stored = storedAgentUpgrade(properties);
    stored["lastAttemptStatus"] = status;
    stored["lastAttemptMessage"] = message;
    // ARM shows the time in UTC whatever offset the agent wrote.
    stored["lastAttemptTimestamp"] = rfc3339(*parseRfc3339(timestamp));
    stored["lastAttemptDesiredVersion"] = desired_version;
    properties[kAgentUpgradeProperty] = std::move(stored);
    return ok();
}

} // namespace azcm::emulator
