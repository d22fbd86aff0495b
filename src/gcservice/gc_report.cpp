#include "gcservice/gc_report.hpp"

#include "common/utc_time.hpp"

#include <chrono>
#include <ctime>

namespace azcm::gcservice {

using nlohmann::json;

std::string rfc3339Utc(std::int64_t unix_seconds) {
    return rfc3339Seconds(
        std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds)));
}

json evaluatedReport(const AssignmentState& assignment,
                     const EvaluationResult& result,
                     bool initial,
                     std::int64_t started,
                     std::int64_t finished) {
    json resources = json::array();
    for (const auto& resource : result.resources) {
        // The wire shape of docs/protocol.md 4.2 (not the engine's own JSON): a boolean verdict.
        resources.push_back(json{{"id", resource.id},
                                 {"type", resource.type},
                                 {"compliant", resource.compliant},
                                 {"reason", resource.reason},
                                 {"remediated", resource.remediated},
                                 {"error", resource.error}});
    }
    return json{{"name", assignment.name},
                {"sequenceNumber", assignment.sequence_number},
                {"evaluated", true},
                {"complianceStatus", result.complianceStatus},
                {"operationType", initial ? "Initial" : "Consistency"},
                {"startTime", rfc3339Utc(started)},
                {"endTime", rfc3339Utc(finished)},
                {"resources", resources}};
}

json notEvaluatedReport(const AssignmentState& assignment,
                        const std::string& code,
                        const std::string& reason,
                        std::int64_t now) {
    return json{{"name", assignment.name},   {"sequenceNumber", assignment.sequence_number},
                {"evaluated", false},        {"reasonCode", code},
                {"reason", reason},          {"startTime", rfc3339Utc(now)},
                {"endTime", rfc3339Utc(now)}};
}

} // namespace azcm::gcservice
