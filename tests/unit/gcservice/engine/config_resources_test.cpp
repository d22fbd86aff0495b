// azcmagent_setting (localconfig.json under the sandbox root) and agent_support.
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

TEST_F(ConfigResourcesTest, AgentSupportWithinWindow) {
    sandbox.context.build_date = sys_days(2026y / 3 / 1);
    sandbox.context.now = sys_days(2027y / 3 / 1);
    auto r = evaluateOne("agent_support", json::object(), kAudit, backend, sandbox.context);
    EXPECT_TRUE(r.compliant) << r.reason;
    EXPECT_EQ(r.reason, "agent 1.50.0 built 2026-03-01 is within the 12-month support window "
                        "until 2027-03-01");
}

TEST_F(ConfigResourcesTest, AgentSupportOutsideWindowIsNeverRemediated) {
    sandbox.context.build_date = sys_days(2025y / 8 / 31);
    sandbox.context.now = sys_days(2026y / 3 / 1);
    auto r = evaluateOne("agent_support", {{"window_months", 6}}, kAutoCorrect, backend,
                         sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_FALSE(r.remediated);
    EXPECT_EQ(r.reason, "agent 1.50.0 built 2025-08-31 left the 6-month support window on "
                        "2026-02-28; upgrade the agent");
    EXPECT_NE(r.error.find("cannot be remediated: only an agent upgrade"), std::string::npos);
}

TEST_F(ConfigResourcesTest, AgentSupportAuditReportsOnly) {
    sandbox.context.build_date = sys_days(2020y / 1 / 1);
    auto r = evaluateOne("agent_support", json::object(), kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_TRUE(r.error.empty());
}

} // namespace
} // namespace azcm::gcservice::test
