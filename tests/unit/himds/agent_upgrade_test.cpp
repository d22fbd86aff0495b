// Agent upgrades through himds (docs/protocol.md 1.1 and 2.2): the control plane's request from
// the heartbeat answer in GET /status, and POST /agentupgrade/result carried by the heartbeats.
#include "common/fs/atomic_file.hpp"
#include "himds_harness.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace {

using azcm::himds::ServiceReply;
using azcm::himds::test::Harness;
using azcm::himds::test::RecordedCall;
using azcm::http::Verb;
using nlohmann::json;

constexpr auto kHeartbeatDeadline = std::chrono::seconds(20);
constexpr const char* kHeartbeatRoute = "/machines/heartbeat";
constexpr const char* kAgentUpgradeResultRoute = "/agentupgrade/result";
const json kDefaultAgentUpgrade{
    {"enableAutomaticUpgrade", false},
    {"desiredVersion", ""},
    {"correlationId", ""},
    {"lastAttempt", {{"status", ""}, {"message", ""}, {"timestamp", ""}, {"desiredVersion", ""}}}};

class AgentUpgradeTest : public ::testing::Test {
protected:
    Harness harness_;
    std::filesystem::path stateFile() const {
        return harness_.paths().certsDir() / "agentupgrade.json";
    }
    // The body of the `index`-th heartbeat the fake identity service saw.
    json heartbeatBody(std::size_t index) {
        std::vector<json> bodies;
        for (const auto& call : harness_.fake().calls()) {
            if (call.route == kHeartbeatRoute) {
                bodies.push_back(call.body);
            }
        }
        EXPECT_GT(bodies.size(), index);
        return bodies.size() > index ? bodies[index] : json();
    }
};

TEST_F(AgentUpgradeTest, StatusStartsWithTheDefaults) {
    harness_.start();
    EXPECT_EQ(harness_.callJson(Verb::get, "/status")["agentUpgrade"], kDefaultAgentUpgrade);
}

TEST_F(AgentUpgradeTest, StatusShowsTheRequestOfTheLastHeartbeatAnswer) {
    harness_.fake().setResponder([](const RecordedCall&) {
        return azcm::Result<ServiceReply>(
            ServiceReply{200, json{{"status", "Connected"},
                                   {"agentUpgrade",
                                    {{"enableAutomaticUpgrade", true},
                                     {"desiredVersion", "1.0.2000.0"},
                                     {"correlationId", "c0ffee00-0000-4000-8000-000000000001"}}}}});
    });
    harness_.installIdentity();
    harness_.start();
    const auto status = harness_.waitForStatus(
        [](const json& s) { return s["agentUpgrade"]["enableAutomaticUpgrade"] == true; });
    EXPECT_EQ(status["agentUpgrade"]["enableAutomaticUpgrade"], true);
    EXPECT_EQ(status["agentUpgrade"]["desiredVersion"], "1.0.2000.0");
    EXPECT_EQ(status["agentUpgrade"]["correlationId"], "c0ffee00-0000-4000-8000-000000000001");
    EXPECT_EQ(status["agentUpgrade"]["lastAttempt"], kDefaultAgentUpgrade["lastAttempt"]);
}

TEST_F(AgentUpgradeTest, ResultIsKeptAndSentByAHeartbeatAtOnce) {
    harness_.installIdentity();
    harness_.start();
    ASSERT_TRUE(harness_.waitForCalls(kHeartbeatRoute, 1, kHeartbeatDeadline));
    EXPECT_FALSE(heartbeatBody(0).contains("agentUpgrade"));

    const json result{{"status", "Failed"},
                      {"message", "the package signature is not trusted"},
                      {"desiredVersion", "1.0.2000.0"},
                      {"correlationId", "c0ffee00-0000-4000-8000-000000000001"}};
    auto response = harness_.call(Verb::post, kAgentUpgradeResultRoute, result.dump());
    ASSERT_EQ(response.result_int(), 200U) << response.body();
    const auto answer = json::parse(response.body());
    const auto& last = answer["lastAttempt"];
    EXPECT_EQ(last["status"], "Failed");
    EXPECT_EQ(last["message"], "the package signature is not trusted");
    EXPECT_EQ(last["desiredVersion"], "1.0.2000.0");
    const std::string timestamp = last["timestamp"];
    EXPECT_EQ(timestamp.size(), 20U) << timestamp; // 2026-11-28T13:45:00Z
    EXPECT_EQ(timestamp.back(), 'Z');

    struct stat st {};
    ASSERT_EQ(::stat(stateFile().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    const auto kept = json::parse(azcm::fs::readFile(stateFile()).value());
    EXPECT_EQ(kept["status"], "Failed");
    EXPECT_EQ(kept["correlationId"], "c0ffee00-0000-4000-8000-000000000001");
    EXPECT_EQ(kept["timestamp"], timestamp);

    // The heartbeat interval is 300 s: a second heartbeat this soon is the one the result asked
    // for.
    ASSERT_TRUE(harness_.waitForCalls(kHeartbeatRoute, 2, kHeartbeatDeadline));
    EXPECT_EQ(heartbeatBody(1)["agentUpgrade"],
              json({{"lastAttemptStatus", "Failed"},
                    {"lastAttemptMessage", "the package signature is not trusted"},
                    {"lastAttemptTimestamp", timestamp},
                    {"lastAttemptDesiredVersion", "1.0.2000.0"},
                    {"correlationId", "c0ffee00-0000-4000-8000-000000000001"}}));
    EXPECT_EQ(harness_.callJson(Verb::get, "/status")["agentUpgrade"]["lastAttempt"], last);
}

TEST_F(AgentUpgradeTest, KeptResultIsReportedAfterARestart) {
    const json kept{{"status", "Success"},
                    {"message", ""},
                    {"desiredVersion", "1.1"},
                    {"correlationId", ""},
                    {"timestamp", "2026-11-28T13:45:00Z"}};
    harness_.installIdentity();
    ASSERT_TRUE(azcm::fs::writeFileAtomic(stateFile(), kept.dump()));
    harness_.start();
    ASSERT_TRUE(harness_.waitForCalls(kHeartbeatRoute, 1, kHeartbeatDeadline));
    const auto report = heartbeatBody(0)["agentUpgrade"];
    EXPECT_EQ(report["lastAttemptStatus"], "Success");
    EXPECT_EQ(report["lastAttemptDesiredVersion"], "1.1");
    EXPECT_EQ(report["lastAttemptTimestamp"], "2026-11-28T13:45:00Z");
    EXPECT_EQ(harness_.callJson(Verb::get, "/status")["agentUpgrade"]["lastAttempt"]["status"],
              "Success");
}

TEST_F(AgentUpgradeTest, ResultWithoutAnIdentityIsKeptForLater) {
    harness_.start();
    auto response = harness_.call(Verb::post, kAgentUpgradeResultRoute, R"({"status":"Success"})");
    ASSERT_EQ(response.result_int(), 200U) << response.body();
    EXPECT_TRUE(std::filesystem::exists(stateFile()));
    EXPECT_EQ(harness_.fake().calls().size(), 0U);
}

TEST_F(AgentUpgradeTest, ResultRefusesABadBody) {
    harness_.start();
    const std::vector<std::string> invalid = {
        "not json",
        R"(["Success"])",
        R"({})",
        R"({"status":"success"})",
        R"({"status":"Succeeded"})",
        R"({"status":"Failed","message":7})",
        json{{"status", "Failed"}, {"message", std::string(1025, 'm')}}.dump(),
        R"({"status":"Failed","desiredVersion":"1.2.3"})",
        R"({"status":"Failed","desiredVersion":"65536.0"})",
        json{{"status", "Failed"}, {"correlationId", std::string(65, 'c')}}.dump(),
        R"({"status":"Failed","correlationId":"tab\there"})",
    };
    for (const auto& body : invalid) {
        auto response = harness_.call(Verb::post, kAgentUpgradeResultRoute, body);
        EXPECT_EQ(response.result_int(), 400U) << body;
        EXPECT_EQ(json::parse(response.body())["error"]["code"], "BadRequest") << body;
    }
    EXPECT_FALSE(std::filesystem::exists(stateFile()));
    EXPECT_EQ(harness_.callJson(Verb::get, "/status")["agentUpgrade"]["lastAttempt"]["status"], "");
}

} // namespace
