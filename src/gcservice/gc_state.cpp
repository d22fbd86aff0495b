#include "gcservice/gc_state.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <system_error>

namespace azcm::gcservice {

using nlohmann::json;

namespace {

constexpr int kStateFormat = 1;

json packageJson(const std::optional<PackageRef>& package) {
    if (!package) {
        return nullptr;
    }
    return json{{"url", package->url},
                {"size", package->size},
                {"sha256", package->sha256},
                {"signature", package->signature_base64}};
}

template <class T> Result<T> invalid(Result<T> result) {
    return jsondoc::withCode(std::move(result), exitcode::kInvalidArgument);
}

Result<std::optional<PackageRef>> parsePackage(const json& entry, const std::string& source) {
    BOOST_OUTCOME_TRY(value, invalid(jsondoc::getOptionalObject(entry, "package", source)));
    if (value == nullptr) {
        return std::optional<PackageRef>();
    }
    const auto where = source + ": package";
    PackageRef package;
    AZCM_ASSIGN_OR_RETURN(package.url, invalid(jsondoc::getString(*value, "url", where)));
    AZCM_ASSIGN_OR_RETURN(package.size, invalid(jsondoc::getInteger<std::uint64_t>(
                                            *value, "size", 0, UINT64_MAX, where)));
    AZCM_ASSIGN_OR_RETURN(package.sha256, invalid(jsondoc::getString(*value, "sha256", where)));
    AZCM_ASSIGN_OR_RETURN(package.signature_base64,
                          invalid(jsondoc::getString(*value, "signature", where)));
    return std::optional<PackageRef>(std::move(package));
}

// A time in unix seconds; bounded so that differences of two never overflow.
Result<std::optional<std::int64_t>>
optionalTime(const json& object, const char* key, const std::string& source) {
    return invalid(jsondoc::getOptionalInteger<std::int64_t>(object, key, 0,
                                                             jsondoc::kMaxUnixSeconds, source));
}

Result<std::string> stringOf(const json& object, const char* key, const std::string& source) {
    BOOST_OUTCOME_TRY(value, invalid(jsondoc::getOptionalString(object, key, source)));
    return value.value_or(std::string());
}

// The fields the state file and the goal state share.
Result<AssignmentState> assignmentFrom(const json& entry, const std::string& source) {
    AssignmentState a;
    AZCM_ASSIGN_OR_RETURN(a.name, stringOf(entry, "name", source));
    AZCM_ASSIGN_OR_RETURN(a.configuration_name, stringOf(entry, "configurationName", source));
    AZCM_ASSIGN_OR_RETURN(a.version, stringOf(entry, "version", source));
    AZCM_ASSIGN_OR_RETURN(a.assignment_type, stringOf(entry, "assignmentType", source));
    AZCM_ASSIGN_OR_RETURN(a.package, parsePackage(entry, source));
    return a;
}

} // namespace

json toJson(const GcState& state) {
    json assignments = json::array();
    for (const auto& a : state.assignments) {
        assignments.push_back(json{
            {"name", a.name},
            {"configurationName", a.configuration_name},
            {"version", a.version},
            {"assignmentType", a.assignment_type},
            {"sequenceNumber", a.sequence_number},
            {"package", packageJson(a.package)},
            {"lastEvaluatedAt", a.last_evaluated_at ? json(*a.last_evaluated_at) : json(nullptr)},
            {"lastReport", a.last_report},
            {"reportPending", a.report_pending},
            {"lastError", a.last_error},
            {"appliedKey", a.applied_key},
            {"packageVersion", a.package_version},
        });
    }
    return json{{"format", kStateFormat},
                {"assignments", assignments},
                {"lastGoalStateAt",
                 state.last_goal_state_at ? json(*state.last_goal_state_at) : json(nullptr)},
                {"goalStateEtag", state.goal_state_etag}};
}

Result<GcState> parseGcState(const json& document, const std::string& source) {
    BOOST_OUTCOME_TRY(format, invalid(jsondoc::getOptionalInteger<int>(document, "format", INT_MIN,
                                                                       INT_MAX, source)));
    if (format.value_or(0) != kStateFormat) {
        return makeError(exitcode::kInvalidArgument, source + ": unknown gcservice state format");
    }
    BOOST_OUTCOME_TRY(entries, invalid(jsondoc::getArray(document, "assignments", source)));
    GcState state;
    AZCM_ASSIGN_OR_RETURN(state.last_goal_state_at,
                          optionalTime(document, "lastGoalStateAt", source));
    AZCM_ASSIGN_OR_RETURN(state.goal_state_etag, stringOf(document, "goalStateEtag", source));
    for (const auto& entry : *entries) {
        const auto where = source + ": assignment";
        BOOST_OUTCOME_TRY(a, assignmentFrom(entry, where));
        BOOST_OUTCOME_TRY(sequence, invalid(jsondoc::getOptionalInteger<std::int64_t>(
                                        entry, "sequenceNumber", 0, INT64_MAX, where)));
        a.sequence_number = sequence.value_or(0);
        AZCM_ASSIGN_OR_RETURN(a.last_evaluated_at, optionalTime(entry, "lastEvaluatedAt", where));
        if (const auto it = entry.find("lastReport"); it != entry.end()) {
            a.last_report = *it;
        }
        BOOST_OUTCOME_TRY(pending,
                          invalid(jsondoc::getOptionalBool(entry, "reportPending", where)));
        a.report_pending = pending.value_or(false);
        AZCM_ASSIGN_OR_RETURN(a.last_error, stringOf(entry, "lastError", where));
        AZCM_ASSIGN_OR_RETURN(a.applied_key, stringOf(entry, "appliedKey", where));
        AZCM_ASSIGN_OR_RETURN(a.package_version, stringOf(entry, "packageVersion", where));
        if (a.name.empty()) {
            return makeError(exitcode::kInvalidArgument, where + " has no name");
        }
        state.assignments.push_back(std::move(a));
    }
    return state;
}

Result<GcState> loadGcState(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return GcState{};
    }
    // The last reports make it the largest file the agent keeps.
    BOOST_OUTCOME_TRY(document, invalid(jsondoc::parseFile(path, {jsondoc::kNetworkMaxBytes})));
    return parseGcState(document, path.string());
}

std::string serializeGcState(const GcState& state) {
    return jsondoc::serialize(toJson(state), 2) + "\n";
}

Result<void> saveGcState(const std::filesystem::path& path, const GcState& state) {
    return fs::writeFileAtomic(path, serializeGcState(state), fs::FileMode{0600, {}});
}

Result<std::vector<AssignmentState>> parseGoalState(const json& document) {
    constexpr const char* kSource = "the goal state";
    BOOST_OUTCOME_TRY(entries, invalid(jsondoc::getArray(document, "assignments", kSource)));
    std::vector<AssignmentState> assignments;
    for (const auto& entry : *entries) {
        const std::string where = "the goal state's assignment";
        BOOST_OUTCOME_TRY(a, assignmentFrom(entry, where));
        AZCM_ASSIGN_OR_RETURN(a.sequence_number,
                              invalid(jsondoc::getInteger<std::int64_t>(entry, "sequenceNumber", 0,
                                                                        INT64_MAX, where)));
        if (a.name.empty()) {
            return makeError(exitcode::kInvalidArgument, where + " has no name");
        }
        assignments.push_back(std::move(a));
    }
    return assignments;
}

void mergeGoalState(GcState& state, std::vector<AssignmentState> incoming, std::int64_t now) {
    for (auto& fresh : incoming) {
        for (auto& known : state.assignments) {
            if (known.name != fresh.name) {
                continue;
            }
            if (known.sequence_number == fresh.sequence_number && known.package == fresh.package) {
                fresh = std::move(known);
            } else {
                fresh.package_version = known.package_version; // what a downgrade is judged by
            }
            break;
        }
    }
    state.assignments = std::move(incoming);
    state.last_goal_state_at = now;
}

bool dropExpiredAssignments(GcState& state, std::int64_t now, std::chrono::seconds retention) {
    if (state.assignments.empty() || !state.last_goal_state_at ||
        now - *state.last_goal_state_at < retention.count()) {
        return false;
    }
    state.assignments.clear();
    return true;
}

bool isDue(const AssignmentState& assignment, std::int64_t now, std::chrono::seconds interval) {
    return !assignment.last_evaluated_at || now - *assignment.last_evaluated_at >= interval.count();
}

std::optional<std::int64_t>
nextDueAt(const GcState& state, std::int64_t now, const DueIntervals& intervals) {
    std::optional<std::int64_t> next;
    const auto consider = [&next](std::int64_t at) { next = next ? std::min(*next, at) : at; };
    if (!state.assignments.empty() && state.last_goal_state_at) {
        consider(*state.last_goal_state_at + intervals.retention.count());
    }
    for (const auto& assignment : state.assignments) {
        if (!assignment.last_evaluated_at) {
            consider(now);
            continue;
        }
        consider(*assignment.last_evaluated_at + intervals.evaluation.count());
        if (assignment.report_pending) {
            consider(*assignment.last_evaluated_at + intervals.report_retry.count());
        }
    }
    return next;
}

std::string appliedKey(const AssignmentState& assignment) {
    return std::to_string(assignment.sequence_number) + ":" +
           (assignment.package ? assignment.package->sha256 : std::string());
}

} // namespace azcm::gcservice
