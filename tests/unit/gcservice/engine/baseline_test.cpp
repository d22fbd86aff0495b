// The built-in security baseline parses, finds a sandbox that violates it NonCompliant with a
// reason per resource, and brings it into compliance with ApplyAndAutoCorrect.
#include "common/config/local_config.hpp"
#include "engine_test_support.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace azcm::gcservice::test {
namespace {

ConfigurationPackage baseline() {
    auto package = parseConfigurationText(builtinBaselineConfiguration());
    EXPECT_TRUE(package) << package.error().message;
    return package ? package.value() : ConfigurationPackage{};
}

const ResourceResult& find(const EvaluationResult& result, const std::string& id) {
    for (const auto& resource : result.resources) {
        if (resource.id == id) {
            return resource;
        }
    }
    static ResourceResult none;
    ADD_FAILURE() << "no result for " << id;
    return none;
}

TEST(BaselineTest, IsTheSameAsTheSourceFile) {
    std::ifstream in(std::string(AZCM_SOURCE_DIR) + "/src/gcservice/baseline/configuration.json");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), builtinBaselineConfiguration());
    auto package = baseline();
    EXPECT_EQ(package.name, "AzureArcSecurityBaseline");
    EXPECT_EQ(package.version, "1.0.0");
    EXPECT_EQ(package.resources.size(), 8U);
}

class BaselineSandboxTest : public ::testing::Test {
protected:
    BaselineSandboxTest() {
        // A machine that violates every remediable check.
        sandbox.write("/etc/ssh/sshd_config",
                      "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n", 0600);
        sandbox.write("/etc/ssh/sshd_config.d/50-cloud-init.conf", "PermitRootLogin yes\n");
        sandbox.mkdir("/var/opt/azcmagent/certs", 0755);
        sandbox.write("/var/opt/azcmagent/certs/machine.key", "key", 0644);
        sandbox.mkdir("/var/opt/azcmagent/tokens", 0777);
    }
    Sandbox sandbox;
    FakeBackend backend;
};

TEST_F(BaselineSandboxTest, AuditReportsEveryViolationAndChangesNothing) {
    auto result = evaluate(baseline(), AssignmentType::kAudit, true, backend, sandbox.context);
    EXPECT_EQ(result.complianceStatus, "NonCompliant");
    EXPECT_EQ(find(result, "remote-access-disabled").reason,
              "incomingconnections.enabled is true; expected incomingconnections.enabled = false");
    EXPECT_FALSE(find(result, "extensions-locked-down").compliant);
    EXPECT_TRUE(find(result, "agent-within-support-window").compliant);
    EXPECT_EQ(find(result, "sshd-permit-root-login-no").reason,
              "PermitRootLogin is yes (/etc/ssh/sshd_config.d/50-cloud-init.conf line 1), "
              "expected no");
    EXPECT_EQ(find(result, "sshd-password-authentication-no").reason,
              "PasswordAuthentication is yes (/etc/ssh/sshd_config line 2), expected no");
    EXPECT_EQ(find(result, "certs-directory-0700").reason,
              "/var/opt/azcmagent/certs: mode is 0755, expected at most 0700");
    EXPECT_EQ(find(result, "tokens-directory-0750").reason,
              "/var/opt/azcmagent/tokens: mode is 0777, expected at most 0750");
    EXPECT_EQ(find(result, "machine-key-files-0600").reason,
              "/var/opt/azcmagent/certs/machine.key: mode is 0644, expected at most 0600");
    for (const auto& resource : result.resources) {
        EXPECT_TRUE(resource.error.empty()) << resource.id << ": " << resource.error;
    }
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/azcmagent/certs/machine.key")), 0644U);
    EXPECT_FALSE(std::filesystem::exists(sandbox.context.paths.localConfig()));
}

TEST_F(BaselineSandboxTest, AutoCorrectBringsTheSandboxIntoCompliance) {
    auto result =
        evaluate(baseline(), AssignmentType::kApplyAndAutoCorrect, false, backend, sandbox.context);
    for (const auto& resource : result.resources) {
        EXPECT_TRUE(resource.compliant)
            << resource.id << ": " << resource.reason << " " << resource.error;
    }
    EXPECT_EQ(result.complianceStatus, "Compliant");
    EXPECT_TRUE(result.local_config_changed);
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/azcmagent/certs")), 0700U);
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/azcmagent/tokens")), 0750U);
    EXPECT_EQ(modeOf(sandbox.at("/var/opt/azcmagent/certs/machine.key")), 0600U);
    auto config = config::loadLocalConfig(sandbox.context.paths.localConfig());
    ASSERT_TRUE(config);
    EXPECT_FALSE(config.value().incoming_connections_enabled);
    EXPECT_EQ(config.value().extensions_allowlist, std::vector<std::string>{"Allow/None"});
    // A second audit agrees, and nothing is left to do.
    auto audit = evaluate(baseline(), AssignmentType::kAudit, false, backend, sandbox.context);
    EXPECT_EQ(audit.complianceStatus, "Compliant");
}

TEST_F(BaselineSandboxTest, OutdatedAgentStaysNonCompliant) {
    sandbox.context.agent_releases =
        publishedReleases({{"1.50.0.0", sandbox.context.now - std::chrono::days(400)},
                           {"1.60.0.0", sandbox.context.now - std::chrono::days(10)}});
    auto result =
        evaluate(baseline(), AssignmentType::kApplyAndAutoCorrect, false, backend, sandbox.context);
    EXPECT_EQ(result.complianceStatus, "NonCompliant");
    const auto& support = find(result, "agent-within-support-window");
    EXPECT_FALSE(support.compliant);
    EXPECT_NE(support.reason.find("upgrade the agent"), std::string::npos);
}

} // namespace
} // namespace azcm::gcservice::test
