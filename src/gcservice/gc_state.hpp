#pragma once
// What gcservice remembers across restarts (guestConfigStateDir()/state.json, written crash-safe):
// the assignments of the last goal state, each one's last evaluation and report, and the
// ApplyAndMonitor applied-once marker. Pure data and the rules that change it (goal-state merge,
// 14-day retention, what is due), so they are unit-tested without a daemon.
#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::gcservice {

struct PackageRef {
    std::string url;
    std::uint64_t size = 0;
    std::string sha256;           // hex, as the control plane gives it
    std::string signature_base64; // detached CMS over the zip's bytes

    friend bool operator==(const PackageRef&, const PackageRef&) = default;
};

// The default constructor cannot throw: json's is noexcept, and the throws the check finds are
// inside its body, which they cannot leave.
// NOLINTNEXTLINE(bugprone-exception-escape): noexcept default constructor, see above
struct AssignmentState {
    std::string name; // the ARM assignment's name
    std::string configuration_name;
    std::string version;
    std::string assignment_type; // Audit | ApplyAndMonitor | ApplyAndAutoCorrect
    std::int64_t sequence_number = 0;
    std::optional<PackageRef> package; // nullopt: the control plane has no package for it

    // When the last evaluation (or decision not to evaluate) finished; unix seconds.
    std::optional<std::int64_t> last_evaluated_at;
    // The report last built for this assignment (docs/protocol.md 4.2 body).
    nlohmann::json last_report;
    bool report_pending = false; // last_report not yet accepted by the control plane
    std::string last_error;      // download, verification or report failure
    // ApplyAndMonitor applies once per assignment version: "<sequence>:<sha256>" once it has.
    std::string applied_key;
    // The signed version of the package last evaluated, kept across goal-state changes: an
    // older package is a downgrade (package_cache.hpp).
    std::string package_version;
};

struct GcState {
    std::vector<AssignmentState> assignments;
    std::optional<std::int64_t> last_goal_state_at; // last successful goal state; unix seconds
    std::string goal_state_etag;
};

nlohmann::json toJson(const GcState& state);
Result<GcState> parseGcState(const nlohmann::json& document,
                             const std::string& source = "the gcservice state");
// A missing file is an empty state; an unreadable one is an error (the caller starts afresh).
Result<GcState> loadGcState(const std::filesystem::path& path);
// The state file's bytes: the same state always gives the same bytes (what StateFile compares).
std::string serializeGcState(const GcState& state);
Result<void> saveGcState(const std::filesystem::path& path, const GcState& state);

// Parses the goal state's "assignments" (docs/protocol.md 4.1) into fresh AssignmentStates.
Result<std::vector<AssignmentState>> parseGoalState(const nlohmann::json& document);

// Replaces the assignment list with the goal state's: an assignment whose sequence number and
// package are unchanged keeps its evaluation history; a new or changed one starts afresh (due at
// once) but keeps the package version it last evaluated; one no longer listed is dropped. Records
// the goal state's time.
void mergeGoalState(GcState& state, std::vector<AssignmentState> incoming, std::int64_t now);

// Disconnected for longer than `retention` since the last successful goal state: every
// assignment is dropped (docs/guest-configuration.md). True when something was dropped.
bool dropExpiredAssignments(GcState& state, std::int64_t now, std::chrono::seconds retention);

// Never evaluated, or the last evaluation is at least `interval` old.
bool isDue(const AssignmentState& assignment, std::int64_t now, std::chrono::seconds interval);

// The intervals that make an assignment's work due (GcOptions).
struct DueIntervals {
    std::chrono::seconds evaluation;
    std::chrono::seconds report_retry;
    std::chrono::seconds retention;
};

// The earliest unix time at which something is due: an evaluation (`now` for one never
// evaluated), the retry of a pending report, or the retention expiry; nullopt without
// assignments. gcservice sleeps until then instead of checking every second.
std::optional<std::int64_t>
nextDueAt(const GcState& state, std::int64_t now, const DueIntervals& intervals);

// The applied-once key of the assignment as it is now.
std::string appliedKey(const AssignmentState& assignment);

} // namespace azcm::gcservice
