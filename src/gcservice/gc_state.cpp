#include "gc_state.hpp"

#include "fs/atomic_file.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

namespace azcm::gc {

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

Result<std::optional<PackageRef>> parsePackage(const json& value) {
    if (value.is_null()) {
        return std::optional<PackageRef>();
    }
    if (!value.is_object() || !value.contains("url") || !value.at("url").is_string() ||
        !value.contains("size") || !value.at("size").is_number_integer() ||
        value.at("size").get<std::int64_t>() < 0 || !value.contains("sha256") ||
        !value.at("sha256").is_string() || !value.contains("signature") ||
        !value.at("signature").is_string()) {
        return makeError(exitcode::kInvalidArgument,
                         "package must be {url, size, sha256, signature}");
    }
    PackageRef package;
    package.url = value.at("url").get<std::string>();
    package.size = value.at("size").get<std::uint64_t>();
    package.sha256 = value.at("sha256").get<std::string>();
    package.signature_base64 = value.at("signature").get<std::string>();
    return std::optional<PackageRef>(std::move(package));
}

std::optional<std::int64_t> optionalInteger(const json& object, const char* key) {
    if (object.contains(key) && object.at(key).is_number_integer()) {
        return object.at(key).get<std::int64_t>();
    }
    return std::nullopt;
}

std::string stringOf(const json& object, const char* key) {
    return object.contains(key) && object.at(key).is_string() ? object.at(key).get<std::string>()
                                                              : std::string();
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

Result<GcState> parseGcState(const json& document) {
    if (!document.is_object() || document.value("format", 0) != kStateFormat ||
        !document.contains("assignments") || !document.at("assignments").is_array()) {
        return makeError(exitcode::kInvalidArgument, "unknown gcservice state format");
    }
    GcState state;
    state.last_goal_state_at = optionalInteger(document, "lastGoalStateAt");
    state.goal_state_etag = stringOf(document, "goalStateEtag");
    for (const auto& entry : document.at("assignments")) {
        if (!entry.is_object()) {
            return makeError(exitcode::kInvalidArgument, "an assignment must be an object");
        }
        AssignmentState a;
        a.name = stringOf(entry, "name");
        a.configuration_name = stringOf(entry, "configurationName");
        a.version = stringOf(entry, "version");
        a.assignment_type = stringOf(entry, "assignmentType");
        a.sequence_number = optionalInteger(entry, "sequenceNumber").value_or(0);
        BOOST_OUTCOME_TRY(package, parsePackage(entry.value("package", json())));
        a.package = std::move(package);
        a.last_evaluated_at = optionalInteger(entry, "lastEvaluatedAt");
        a.last_report = entry.value("lastReport", json());
        a.report_pending = entry.value("reportPending", false);
        a.last_error = stringOf(entry, "lastError");
        a.applied_key = stringOf(entry, "appliedKey");
        a.package_version = stringOf(entry, "packageVersion");
        if (a.name.empty()) {
            return makeError(exitcode::kInvalidArgument, "an assignment has no name");
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
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return makeError(exitcode::kGeneric, "cannot read " + path.string());
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    const auto document = json::parse(buffer.str(), nullptr, false);
    if (document.is_discarded()) {
        return makeError(exitcode::kInvalidArgument, path.string() + " is not JSON");
    }
    return parseGcState(document);
}

Result<void> saveGcState(const std::filesystem::path& path, const GcState& state) {
    return fs::writeFileAtomic(path, toJson(state).dump(2) + "\n", fs::FileMode{0600, {}});
}

Result<std::vector<AssignmentState>> parseGoalState(const json& document) {
    if (!document.is_object() || !document.contains("assignments") ||
        !document.at("assignments").is_array()) {
        return makeError(exitcode::kInvalidArgument, "the goal state has no assignments array");
    }
    std::vector<AssignmentState> assignments;
    for (const auto& entry : document.at("assignments")) {
        if (!entry.is_object() || stringOf(entry, "name").empty() ||
            !optionalInteger(entry, "sequenceNumber")) {
            return makeError(exitcode::kInvalidArgument,
                             "a goal state assignment needs name and sequenceNumber");
        }
        AssignmentState a;
        a.name = stringOf(entry, "name");
        a.configuration_name = stringOf(entry, "configurationName");
        a.version = stringOf(entry, "version");
        a.assignment_type = stringOf(entry, "assignmentType");
        a.sequence_number = *optionalInteger(entry, "sequenceNumber");
        BOOST_OUTCOME_TRY(package, parsePackage(entry.value("package", json())));
        a.package = std::move(package);
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

std::string appliedKey(const AssignmentState& assignment) {
    return std::to_string(assignment.sequence_number) + ":" +
           (assignment.package ? assignment.package->sha256 : std::string());
}

} // namespace azcm::gc
