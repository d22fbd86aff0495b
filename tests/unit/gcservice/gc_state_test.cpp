// gcservice's persisted state and its rules: goal-state merge, 14-day retention, what is due,
// crash-safe save and load.
#include "common/fs/atomic_file.hpp"
#include "gcservice/gc_state.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace azcm::gcservice {
namespace {

using nlohmann::json;

AssignmentState assignment(const std::string& name, std::int64_t sequence, const std::string& sha) {
    AssignmentState a;
    a.name = name;
    a.configuration_name = "Config";
    a.version = "1.0.0";
    a.assignment_type = "Audit";
    a.sequence_number = sequence;
    a.package = PackageRef{"https://cp/p.zip", 10, sha, "c2ln"};
    return a;
}

TEST(GcState, MergeKeepsHistoryOfUnchangedAssignmentsOnly) {
    GcState state;
    state.assignments = {assignment("a", 1, "aa"), assignment("b", 1, "bb"),
                         assignment("c", 1, "cc")};
    for (auto& a : state.assignments) {
        a.last_evaluated_at = 100;
        a.applied_key = appliedKey(a);
    }
    // a unchanged, b has a new sequence, c is gone, d is new.
    mergeGoalState(
        state, {assignment("a", 1, "aa"), assignment("b", 2, "bb"), assignment("d", 1, "dd")}, 500);
    ASSERT_EQ(state.assignments.size(), 3u);
    EXPECT_EQ(state.assignments[0].last_evaluated_at, 100);
    EXPECT_EQ(state.assignments[0].applied_key, "1:aa");
    EXPECT_FALSE(state.assignments[1].last_evaluated_at);
    EXPECT_TRUE(state.assignments[1].applied_key.empty());
    EXPECT_EQ(state.assignments[2].name, "d");
    EXPECT_EQ(state.last_goal_state_at, 500);
}

TEST(GcState, ADifferentPackageIsAChangedAssignment) {
    GcState state;
    state.assignments = {assignment("a", 1, "aa")};
    state.assignments[0].last_evaluated_at = 100;
    mergeGoalState(state, {assignment("a", 1, "ab")}, 200);
    EXPECT_FALSE(state.assignments[0].last_evaluated_at);
}

TEST(GcState, AChangedAssignmentKeepsThePackageVersionItLastEvaluated) {
    GcState state;
    state.assignments = {assignment("a", 1, "aa")};
    state.assignments[0].package_version = "1.0.5";
    mergeGoalState(state, {assignment("a", 2, "ab"), assignment("b", 1, "bb")}, 200);
    EXPECT_EQ(state.assignments[0].package_version, "1.0.5") << "a downgrade is judged by it";
    EXPECT_EQ(state.assignments[1].package_version, "");
}

TEST(GcState, AssignmentsAreDroppedAfterTheRetentionWithoutGoalState) {
    GcState state;
    state.assignments = {assignment("a", 1, "aa")};
    state.last_goal_state_at = 1000;
    const std::chrono::seconds retention(14 * 86400);
    EXPECT_FALSE(dropExpiredAssignments(state, 1000 + retention.count() - 1, retention));
    EXPECT_EQ(state.assignments.size(), 1u);
    EXPECT_TRUE(dropExpiredAssignments(state, 1000 + retention.count(), retention));
    EXPECT_TRUE(state.assignments.empty());
}

TEST(GcState, DueWhenNeverEvaluatedOrTheIntervalPassed) {
    auto a = assignment("a", 1, "aa");
    EXPECT_TRUE(isDue(a, 0, std::chrono::seconds(900)));
    a.last_evaluated_at = 1000;
    EXPECT_FALSE(isDue(a, 1899, std::chrono::seconds(900)));
    EXPECT_TRUE(isDue(a, 1900, std::chrono::seconds(900)));
}

// gcservice sleeps until this time instead of waking every second to find nothing due.
TEST(GcState, NextDueIsTheEarliestEvaluationRetryOrExpiry) {
    using namespace std::chrono_literals;
    const DueIntervals intervals{900s, 30s, 14 * 86400s};
    GcState state;
    EXPECT_FALSE(nextDueAt(state, 1000, intervals)); // nothing assigned: nothing ever due

    state.last_goal_state_at = 1000;
    state.assignments = {assignment("a", 1, "aa"), assignment("b", 1, "bb")};
    EXPECT_EQ(nextDueAt(state, 1000, intervals), 1000); // never evaluated: due now

    state.assignments[0].last_evaluated_at = 1000;
    state.assignments[1].last_evaluated_at = 1100;
    EXPECT_EQ(nextDueAt(state, 1200, intervals), 1900); // a's next evaluation

    state.assignments[1].report_pending = true;
    EXPECT_EQ(nextDueAt(state, 1200, intervals), 1130); // b's report retry

    state.assignments[1].report_pending = false;
    const DueIntervals short_retention{900s, 30s, 600s};
    EXPECT_EQ(nextDueAt(state, 1200, short_retention), 1600); // the assignments expire first
}

TEST(GcState, SavesAndLoadsEverything) {
    test::TempDir dir;
    GcState state;
    state.assignments = {assignment("a", 3, "aa")};
    state.assignments[0].last_evaluated_at = 42;
    state.assignments[0].last_report = json{{"complianceStatus", "Compliant"}};
    state.assignments[0].report_pending = true;
    state.assignments[0].applied_key = "3:aa";
    state.assignments[0].package_version = "1.0.0";
    state.last_goal_state_at = 41;
    state.goal_state_etag = "\"e\"";
    const auto path = dir.path() / "state.json";
    ASSERT_TRUE(saveGcState(path, state));
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto loaded = loadGcState(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(toJson(loaded.value()), toJson(state));
    // A missing file is an empty state; garbage is an error.
    EXPECT_TRUE(loadGcState(dir.path() / "none.json").value().assignments.empty());
    ASSERT_TRUE(fs::writeFileAtomic(path, "{not json"));
    EXPECT_FALSE(loadGcState(path));
}

TEST(GcState, GoalStateParsing) {
    const json document{
        {"assignments",
         {{{"name", "a"},
           {"configurationName", "C"},
           {"version", "1.0.0"},
           {"assignmentType", "ApplyAndMonitor"},
           {"sequenceNumber", 4},
           {"package",
            {{"url", "https://x/p"}, {"size", 5}, {"sha256", "ab"}, {"signature", "c2ln"}}}},
          {{"name", "b"}, {"sequenceNumber", 1}, {"package", nullptr}}}}};
    auto parsed = parseGoalState(document);
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed.value().size(), 2u);
    EXPECT_EQ(parsed.value()[0].assignment_type, "ApplyAndMonitor");
    EXPECT_EQ(parsed.value()[0].package->size, 5u);
    EXPECT_FALSE(parsed.value()[1].package);
    EXPECT_FALSE(parseGoalState(json{{"assignments", {{{"name", "a"}}}}}));
    EXPECT_FALSE(parseGoalState(json::object()));
}

TEST(GcState, GoalStateFieldsOfTheWrongTypeAreNamedErrors) {
    const json base{{"name", "a"}, {"sequenceNumber", 4}};
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, json>>{{"name", 5},
                                                   {"sequenceNumber", "4"},
                                                   {"sequenceNumber", -1},
                                                   {"version", json::array()},
                                                   {"package", "https://x/p"}}) {
        auto entry = base;
        entry[key] = value;
        auto parsed = parseGoalState(json{{"assignments", {entry}}});
        ASSERT_FALSE(parsed) << key;
        EXPECT_NE(parsed.error().message.find("field '" + key + "'"), std::string::npos)
            << parsed.error().message;
    }
    auto entry = base;
    entry["package"] = {{"url", "https://x/p"}, {"size", -5}, {"sha256", "ab"}, {"signature", "s"}};
    auto negative = parseGoalState(json{{"assignments", {entry}}});
    ASSERT_FALSE(negative);
    EXPECT_NE(negative.error().message.find("field 'size'"), std::string::npos)
        << negative.error().message;
}

TEST(GcState, DamagedStateFileIsAnErrorNotACrash) {
    test::TempDir dir;
    const auto path = dir.path() / "state.json";
    for (
        const auto& text :
        {std::string(R"({"format": "1", "assignments": []})"),
         std::string(R"({"format": 1, "assignments": [{"name": "a", "reportPending": "yes"}]})"),
         std::string(R"({"format": 1, "assignments": [{"name": "a", "lastEvaluatedAt": 1e300}]})"),
         std::string(
             R"({"format": 1, "assignments": [{"name": "a", "lastEvaluatedAt": -9223372036854775807}]})"),
         std::string(R"({"format": 1, "assignments": [], "x": )") + std::string(1000, '[') +
             std::string(1000, ']') + "}"}) {
        ASSERT_TRUE(fs::writeFileAtomic(path, text));
        auto loaded = loadGcState(path);
        ASSERT_FALSE(loaded) << text.substr(0, 100);
        EXPECT_NE(loaded.error().message.find(path.string()), std::string::npos)
            << loaded.error().message;
    }
}

TEST(GcState, ReportsWithInvalidUtf8AreSaved) {
    // A script's output ends up in a report's reason as it was printed.
    test::TempDir dir;
    const auto path = dir.path() / "state.json";
    GcState state;
    state.assignments = {assignment("a", 1, "aa")};
    state.assignments[0].last_report = {{"reason", std::string("script said \xff\xfe")}};
    ASSERT_TRUE(saveGcState(path, state));
    auto loaded = loadGcState(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded.value().assignments[0].last_report["reason"],
              "script said \xEF\xBF\xBD\xEF\xBF\xBD");
}

} // namespace
} // namespace azcm::gcservice
