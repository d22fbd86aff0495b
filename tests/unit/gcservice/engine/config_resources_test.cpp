// azcmagent_setting (localconfig.json under the sandbox root) and agent_support (the release
// dates of the control plane's agent feed).
#include "common/config/local_config.hpp"
#include "engine_test_support.hpp"

#include <gtest/gtest.h>

namespace azcm::gcservice::test {
namespace {

using nlohmann::json;
using namespace std::chrono;

class ConfigResourcesTest : public ::testing::Test {
protected:
    Sandbox sandbox;
    FakeBackend backend;
    json remote_off = {{"key", "incomingconnections.enabled"}, {"value", false}};
    json extensions_locked = {
        {"any_of",
         {{{"key", "extensions.enabled"}, {"value", false}},
          {{"key", "extensions.allowlist"}, {"not_empty", true}}}},
        {"remediation", {{"key", "extensions.allowlist"}, {"value", {"Allow/None"}}}}};

    config::LocalConfig load() {
        auto config = config::loadLocalConfig(sandbox.context.paths.localConfig());
        EXPECT_TRUE(config);
        return config ? config.value() : config::LocalConfig{};
    }
};

TEST_F(ConfigResourcesTest, SettingNonCompliantByDefaultAndUntouchedByAudit) {
    auto r = evaluateOne("azcmagent_setting", remote_off, kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.reason, "incomingconnections.enabled is true; expected "
                        "incomingconnections.enabled = false");
    EXPECT_FALSE(std::filesystem::exists(sandbox.context.paths.localConfig()));
}

TEST_F(ConfigResourcesTest, SettingRemediatedThroughLocalConfigKeepingOtherKeys) {
    sandbox.write("/var/opt/azcmagent/localconfig.json",
                  R"({"proxy.url": "http://proxy:3128", "future.key": 7})");
    auto r = evaluateOne("azcmagent_setting", remote_off, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(r.remediated) << r.error;
    auto config = load();
    EXPECT_FALSE(config.incoming_connections_enabled);
    EXPECT_EQ(config.proxy_url, "http://proxy:3128");
    EXPECT_EQ(config.unknown["future.key"], 7);
    // The previous file is kept as a backup, as azcmagent config does.
    EXPECT_TRUE(std::filesystem::exists(sandbox.at("/var/opt/azcmagent/localconfig.json.bak")));
    auto result = evaluate(onePackage("azcmagent_setting", remote_off),
                           AssignmentType::kApplyAndAutoCorrect, true, backend, sandbox.context);
    EXPECT_EQ(result.complianceStatus, "Compliant");
    EXPECT_FALSE(result.local_config_changed); // already compliant: nothing written
}

TEST_F(ConfigResourcesTest, RemediationReportsLocalConfigChange) {
    auto result = evaluate(onePackage("azcmagent_setting", remote_off),
                           AssignmentType::kApplyAndAutoCorrect, true, backend, sandbox.context);
    EXPECT_TRUE(result.local_config_changed);
}

TEST_F(ConfigResourcesTest, AnyOfCompliesWithEitherCondition) {
    sandbox.write("/var/opt/azcmagent/localconfig.json", R"({"extensions.enabled": false})");
    auto r = evaluateOne("azcmagent_setting", extensions_locked, kAudit, backend, sandbox.context);
    EXPECT_TRUE(r.compliant) << r.reason;
    EXPECT_EQ(r.reason, "extensions.enabled is false");
}

TEST_F(ConfigResourcesTest, AnyOfRemediationWritesTheGivenValue) {
    auto audit =
        evaluateOne("azcmagent_setting", extensions_locked, kAudit, backend, sandbox.context);
    EXPECT_FALSE(audit.compliant);
    EXPECT_EQ(audit.reason, "extensions.enabled is true, extensions.allowlist is []; expected "
                            "extensions.enabled = false or extensions.allowlist not empty");
    auto fixed =
        evaluateOne("azcmagent_setting", extensions_locked, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(fixed.remediated) << fixed.error;
    EXPECT_EQ(load().extensions_allowlist, std::vector<std::string>{"Allow/None"});
}

TEST_F(ConfigResourcesTest, AnyOfWithoutRemediationIsNotRemediable) {
    json props = extensions_locked;
    props.erase("remediation");
    auto r = evaluateOne("azcmagent_setting", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.error, "cannot be remediated: no remediation is given; change it with "
                       "azcmagent config set");
}

TEST_F(ConfigResourcesTest, InvalidSettingValueIsRefusedAtParse) {
    auto package = parseConfiguration(
        {{"name", "P"},
         {"version", "1"},
         {"resources",
          {{{"id", "bad"},
            {"type", "azcmagent_setting"},
            {"properties", {{"key", "guestconfiguration.agent.cpulimit"}, {"value", 500}}}}}}});
    ASSERT_FALSE(package);
    EXPECT_NE(package.error().message.find("resource 'bad'"), std::string::npos);
    EXPECT_NE(package.error().message.find("1 to 100 expected, got 500"), std::string::npos)
        << package.error().message;
    auto unknown =
        parseConfiguration({{"name", "P"},
                            {"version", "1"},
                            {"resources",
                             {{{"id", "bad"},
                               {"type", "azcmagent_setting"},
                               {"properties", {{"key", "no.such.key"}, {"value", true}}}}}}});
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("not an azcmagent config key"), std::string::npos);
}

// The support window is measured from the release dates the control plane publishes.
class AgentSupportTest : public ConfigResourcesTest {
protected:
    AgentSupportTest() { sandbox.context.now = sys_days(2027y / 3 / 1) + hours(9); }

    ResourceResult check(const std::string& installed,
                         const std::vector<std::pair<std::string, system_clock::time_point>>& feed,
                         const json& properties = json::object()) {
        sandbox.context.agent_version = installed;
        sandbox.context.agent_releases = publishedReleases(feed);
        return evaluateOne("agent_support", properties, kAudit, backend, sandbox.context);
    }
};

TEST_F(AgentSupportTest, PublishedVersionWithinWindowComplies) {
    auto r = check("1.0.2000.0", {{"1.0.3000.0", sys_days(2027y / 1 / 10)},
                                  {"1.0.2000.0", sys_days(2026y / 3 / 1) + hours(23)}});
    EXPECT_TRUE(r.compliant) << r.reason;
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.reason, "agent 1.0.2000.0 (released 2026-03-01) is within the 12-month support "
                        "window until 2027-03-01");
}

TEST_F(AgentSupportTest, PublishedVersionOutsideWindowNamesTheNewestRelease) {
    auto r = check("1.0.2000.0", {{"1.0.2000.0", sys_days(2026y / 2 / 28)},
                                  {"1.0.4000.0", sys_days(2027y / 2 / 1)},
                                  {"1.0.3000.0", sys_days(2026y / 9 / 1)}});
    EXPECT_FALSE(r.compliant);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.reason, "agent 1.0.2000.0 (released 2026-02-28) left the 12-month support window "
                        "on 2027-02-28; the newest release is 1.0.4000.0 (released 2027-02-01): "
                        "upgrade the agent");
}

TEST_F(AgentSupportTest, WindowMonthsClampToTheMonthsLastDayAndAreNeverRemediated) {
    sandbox.context.now = sys_days(2026y / 3 / 1);
    sandbox.context.agent_version = "1.0.2000.0";
    sandbox.context.agent_releases = publishedReleases({{"1.0.2000.0", sys_days(2025y / 8 / 31)}});
    auto r = evaluateOne("agent_support", {{"window_months", 6}}, kAutoCorrect, backend,
                         sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_FALSE(r.remediated);
    EXPECT_EQ(r.reason, "agent 1.0.2000.0 (released 2025-08-31) left the 6-month support window "
                        "on 2026-02-28; no newer release is published");
    EXPECT_NE(r.error.find("cannot be remediated: only an agent upgrade"), std::string::npos);
}

TEST_F(AgentSupportTest, UnpublishedVersionOlderThanAnExpiredReleaseIsOutside) {
    auto r = check("1.0.1500.0", {{"1.0.5000.0", sys_days(2027y / 2 / 1)},
                                  {"1.0.2000.0", sys_days(2026y / 1 / 15)},
                                  {"1.0.1000.0", sys_days(2025y / 6 / 1)}});
    EXPECT_FALSE(r.compliant);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.reason, "agent 1.0.1500.0 is not a published deb release; the newer release "
                        "1.0.2000.0 (released 2026-01-15) already left the 12-month support "
                        "window on 2027-01-15, so this older one did too; the newest release is "
                        "1.0.5000.0 (released 2027-02-01): upgrade the agent");
}

TEST_F(AgentSupportTest, UnpublishedVersionIsSupportedWhileNoNewerReleaseExpired) {
    // 1.0.1000.0 expired, but it is older than the private build, which proves nothing.
    auto r = check("1.0.2500.0", {{"1.0.3000.0", sys_days(2026y / 6 / 1)},
                                  {"1.0.1000.0", sys_days(2025y / 6 / 1)}});
    EXPECT_TRUE(r.compliant) << r.reason;
    EXPECT_EQ(r.reason, "agent 1.0.2500.0 is not a published deb release; it is considered "
                        "supported because no newer published release has left the 12-month "
                        "support window");
}

TEST_F(AgentSupportTest, UnavailableListIsAnErrorNotAVerdict) {
    sandbox.context.agent_releases = AgentReleases{};
    sandbox.context.agent_releases.unavailable = "the machine is not connected";
    auto r = evaluateOne("agent_support", json::object(), kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.error,
              "test failed: cannot verify the support window: the machine is not connected");
    // Never fetched is not an empty feed either.
    sandbox.context.agent_releases = AgentReleases{};
    auto unfetched = evaluateOne("agent_support", json::object(), kAudit, backend, sandbox.context);
    EXPECT_FALSE(unfetched.compliant);
    EXPECT_EQ(unfetched.error, "test failed: cannot verify the support window: the agent release "
                               "list was not fetched");
}

TEST_F(AgentSupportTest, VersionThatIsNotFourPartsCannotBeVerified) {
    auto r = check("1.50.0", {{"1.50.0.0", sys_days(2027y / 1 / 1)}});
    EXPECT_FALSE(r.compliant);
    EXPECT_NE(r.error.find("agent version '1.50.0' is not MAJOR.MINOR.BUILD.REVISION"),
              std::string::npos)
        << r.error;
}

TEST(AgentReleasesTest, ParsesTheFeedAnswer) {
    const json answer{{"platform", "deb"},
                      {"versions",
                       {{{"version", "1.0.2000.0"},
                         {"released", "2026-03-01T12:30:05Z"},
                         {"url", "https://x/2000"}},
                        {{"version", "1.0.1000.0"}, {"released", "2025-01-31T00:00:00Z"}}}}};
    auto feed = parseAgentReleases(answer, "deb");
    ASSERT_TRUE(feed) << feed.error().message;
    EXPECT_TRUE(feed.value().unavailable.empty());
    EXPECT_EQ(feed.value().platform, "deb");
    ASSERT_EQ(feed.value().releases.size(), 2U);
    EXPECT_EQ(feed.value().releases[0].version.text(), "1.0.2000.0");
    EXPECT_EQ(feed.value().releases[0].released,
              sys_days(2026y / 3 / 1) + hours(12) + minutes(30) + seconds(5));
}

TEST(AgentReleasesTest, AnEntryWithoutAReleaseTimeRefusesTheList) {
    const auto refusal = [](const json& entry) {
        auto feed = parseAgentReleases({{"platform", "deb"}, {"versions", {entry}}}, "deb");
        return feed ? std::string("accepted") : feed.error().message;
    };
    EXPECT_EQ(refusal({{"version", "1.0.2000.0"}}),
              "agent release list entry 1 (1.0.2000.0) has no \"released\" time such as "
              "2026-03-01T12:00:00Z");
    EXPECT_NE(refusal({{"version", "1.0.2000.0"}, {"released", "2026-02-30T00:00:00Z"}}),
              "accepted");
    EXPECT_NE(refusal({{"version", "1.0.2000.0"}, {"released", "2026-03-01 00:00:00Z"}}),
              "accepted");
    EXPECT_EQ(refusal({{"version", "1.2"}, {"released", "2026-03-01T00:00:00Z"}}),
              "agent release list entry 1 has no version MAJOR.MINOR.BUILD.REVISION");
    EXPECT_FALSE(parseAgentReleases({{"platform", "deb"}}, "deb"));
}

} // namespace
} // namespace azcm::gcservice::test
