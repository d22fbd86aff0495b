#include "common/agent_version.hpp"
#include "common/config/local_config.hpp"
#include "common/utc_time.hpp"
#include "himds/agent_upgrade_state.hpp"
#include "himds/connection_status.hpp"
#include "himds/heartbeat_body.hpp"
#include "himds/heartbeat_policy.hpp"
#include "himds/himds_service.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using azcm::himds::SystemTime;

constexpr auto kDay = std::chrono::hours(24);

SystemTime at(std::chrono::system_clock::duration offset) {
    return SystemTime{} + std::chrono::hours(24 * 365 * 56) + offset;
}

TEST(RenewalPolicy, NinetyDayCertificateRenewsWith45DaysLeft) {
    const auto not_before = at(0s);
    const auto not_after = at(90 * kDay);
    EXPECT_FALSE(azcm::himds::renewalDue(not_before, not_after, at(44 * kDay)));
    EXPECT_FALSE(azcm::himds::renewalDue(not_before, not_after, at(45 * kDay - 1s)));
    EXPECT_TRUE(azcm::himds::renewalDue(not_before, not_after, at(45 * kDay)));
    EXPECT_TRUE(azcm::himds::renewalDue(not_before, not_after, at(89 * kDay)));
}

TEST(RenewalPolicy, LongCertificateStillUses45Days) {
    const auto not_before = at(0s);
    const auto not_after = at(365 * kDay);
    EXPECT_FALSE(azcm::himds::renewalDue(not_before, not_after, at(300 * kDay)));
    EXPECT_TRUE(azcm::himds::renewalDue(not_before, not_after, at(320 * kDay)));
}

TEST(RenewalPolicy, ShortCertificateRenewsAtHalfLife) {
    const auto not_before = at(0s);
    const auto not_after = at(10min);
    EXPECT_FALSE(azcm::himds::renewalDue(not_before, not_after, at(4min)));
    EXPECT_TRUE(azcm::himds::renewalDue(not_before, not_after, at(5min)));
}

TEST(RenewalPolicy, LapsedOnlyAfterNotAfter) {
    EXPECT_FALSE(azcm::himds::certificateLapsed(at(10min), at(10min)));
    EXPECT_TRUE(azcm::himds::certificateLapsed(at(10min), at(10min + 1s)));
}

TEST(HeartbeatDelay, IntervalAfterSuccessBackoffAfterFailures) {
    EXPECT_EQ(azcm::himds::nextHeartbeatDelay(300s, 0), 300s);
    EXPECT_EQ(azcm::himds::nextHeartbeatDelay(300s, 1), 1s);
    EXPECT_EQ(azcm::himds::nextHeartbeatDelay(300s, 2), 2s);
    EXPECT_EQ(azcm::himds::nextHeartbeatDelay(300s, 5), 16s);
    EXPECT_EQ(azcm::himds::nextHeartbeatDelay(300s, 10), 300s);
    EXPECT_EQ(azcm::himds::nextHeartbeatDelay(300s, 1000), 300s);
    EXPECT_EQ(azcm::himds::nextHeartbeatDelay(3s, 3), 3s);
}

TEST(HeartbeatInterval, ParsesWholeSecondsOnly) {
    const auto interval = [](const std::string& text) -> std::optional<std::chrono::seconds> {
        auto options = azcm::himds::optionsFromEnvironment(
            azcm::daemon::EnvironmentOptions(std::map<std::string, std::string>{
                {"AZCM_ROOT", "/sandbox"}, {"AZCM_HEARTBEAT_INTERVAL", text}}));
        if (!options) {
            EXPECT_NE(options.error().message.find("AZCM_HEARTBEAT_INTERVAL"), std::string::npos);
            return std::nullopt;
        }
        return options.value().heartbeat_interval;
    };
    EXPECT_EQ(interval(""), 300s);
    EXPECT_EQ(interval("2"), 2s);
    EXPECT_EQ(interval("86400"), 86400s);
    EXPECT_FALSE(interval("0"));
    EXPECT_FALSE(interval("-5"));
    EXPECT_FALSE(interval("5s"));
    EXPECT_FALSE(interval("1.5"));
    EXPECT_FALSE(interval("86401"));
}

TEST(Rfc3339, FormatsUtcWholeSeconds) {
    const SystemTime time =
        std::chrono::sys_days{std::chrono::November / 28 / 2026} + 13h + 45min + 7s + 250ms;
    EXPECT_EQ(azcm::rfc3339Seconds(time), "2026-11-28T13:45:07Z");
}

TEST(ConnectionStatus, StartsDisconnectedWithoutError) {
    azcm::himds::ConnectionStatus status;
    nlohmann::json status_json;
    status.addTo(status_json);
    EXPECT_EQ(status_json["agentStatus"], "Disconnected");
    EXPECT_EQ(status_json["lastHeartbeat"], "");
    EXPECT_EQ(status_json["lastError"]["code"], "");
    EXPECT_EQ(status_json["lastError"]["time"], "");
}

TEST(ConnectionStatus, TransitionsThroughFailureSuccessAndExpiry) {
    azcm::himds::ConnectionStatus status;
    const auto t1 = at(0s);
    status.heartbeatFailed(t1, "HeartbeatFailed", "connection refused");
    status.heartbeatFailed(t1 + 1s, "HeartbeatFailed", "connection refused");
    EXPECT_EQ(status.agentStatus(), "Disconnected");
    EXPECT_EQ(status.consecutiveFailures(), 2);
    EXPECT_EQ(status.lastError().message, "connection refused");
    EXPECT_FALSE(status.lastHeartbeat());

    status.heartbeatSucceeded(t1 + 5s);
    EXPECT_EQ(status.agentStatus(), "Connected");
    EXPECT_EQ(status.consecutiveFailures(), 0);
    EXPECT_EQ(status.lastError().code, "");
    nlohmann::json status_json;
    status.addTo(status_json);
    EXPECT_EQ(status_json["lastHeartbeat"], azcm::rfc3339Seconds(t1 + 5s));

    status.heartbeatFailed(t1 + 10s, "ResourceNotFound", "gone");
    EXPECT_EQ(status.agentStatus(), "Disconnected");
    EXPECT_EQ(status.lastHeartbeat(), t1 + 5s); // the last good one is kept

    status.certificateExpired(t1 + 20s, t1 + 15s);
    EXPECT_EQ(status.agentStatus(), "Expired");
    EXPECT_EQ(status.lastError().code, "CertificateExpired");
    EXPECT_NE(status.lastError().message.find("disconnect"), std::string::npos);

    status.reset();
    EXPECT_EQ(status.agentStatus(), "Disconnected");
    EXPECT_FALSE(status.lastHeartbeat());
    EXPECT_EQ(status.lastError().code, "");
}

TEST(HeartbeatBody, CarriesVersionFactsAndLocalConfiguration) {
    azcm::config::LocalConfig local;
    local.proxy_url = "http://proxy.example:3128";
    local.proxy_bypass = {"Arc"};
    local.incoming_connections_ports = {"22", "3389"};
    local.extensions_allowlist = {"Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"};
    local.extensions_enabled = false;
    local.config_mode = "monitor";
    azcm::platform::MachineFacts facts;
    facts.os_type = "linux";
    facts.host_name = "web01";

    const auto body = azcm::himds::heartbeatBody(facts, local, std::nullopt);
    EXPECT_EQ(body["agentVersion"], azcm::agentVersion());
    EXPECT_EQ(body["machine"]["hostName"], "web01");
    const auto& configuration = body["agentConfiguration"];
    EXPECT_EQ(configuration["proxyUrl"], "http://proxy.example:3128");
    EXPECT_EQ(configuration["proxyBypass"], nlohmann::json::array({"Arc"}));
    EXPECT_EQ(configuration["incomingConnectionsPorts"], nlohmann::json::array({"22", "3389"}));
    EXPECT_EQ(configuration["extensionsAllowList"][0]["publisher"], "Microsoft.Azure.Monitor");
    EXPECT_EQ(configuration["extensionsAllowList"][0]["type"], "AzureMonitorLinuxAgent");
    EXPECT_EQ(configuration["extensionsBlockList"], nlohmann::json::array());
    EXPECT_EQ(configuration["extensionsEnabled"], "false");
    EXPECT_EQ(configuration["guestConfigurationEnabled"], "true");
    EXPECT_EQ(configuration["configMode"], "monitor");
    EXPECT_FALSE(body.contains("agentUpgrade")) << "no upgrade attempt to report";
}

TEST(HeartbeatBody, CarriesTheLastUpgradeAttempt) {
    azcm::himds::AgentUpgradeAttempt attempt;
    attempt.status = "Failed";
    attempt.message = "download failed";
    attempt.desired_version = "1.2";
    attempt.correlation_id = "c0ffee00-0000-4000-8000-000000000001";
    attempt.timestamp = "2026-11-28T13:45:00Z";

    const auto body = azcm::himds::heartbeatBody({}, {}, attempt);
    EXPECT_EQ(body["agentUpgrade"],
              nlohmann::json({{"lastAttemptStatus", "Failed"},
                              {"lastAttemptMessage", "download failed"},
                              {"lastAttemptTimestamp", "2026-11-28T13:45:00Z"},
                              {"lastAttemptDesiredVersion", "1.2"},
                              {"correlationId", attempt.correlation_id}}));
}

TEST(AgentUpgradeDirective, ReadFromTheHeartbeatAnswer) {
    const auto absent = azcm::himds::readAgentUpgradeDirective(nlohmann::json{{"status", "x"}});
    ASSERT_TRUE(absent);
    EXPECT_FALSE(absent.value().enable_automatic_upgrade);
    EXPECT_EQ(absent.value().desired_version, "");

    const auto given = azcm::himds::readAgentUpgradeDirective(
        {{"agentUpgrade", {{"enableAutomaticUpgrade", true}, {"desiredVersion", "1.2"}}}});
    ASSERT_TRUE(given);
    EXPECT_TRUE(given.value().enable_automatic_upgrade);
    EXPECT_EQ(given.value().desired_version, "1.2");
    EXPECT_EQ(given.value().correlation_id, "");

    EXPECT_FALSE(azcm::himds::readAgentUpgradeDirective(
        {{"agentUpgrade", {{"enableAutomaticUpgrade", "yes"}}}}));
    EXPECT_FALSE(azcm::himds::readAgentUpgradeDirective({{"agentUpgrade", "1.2"}}));
}

} // namespace
