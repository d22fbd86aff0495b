// sshd_setting: first match wins, Include expanded in place, Match blocks ignored.
#include "engine_test_support.hpp"

#include <gtest/gtest.h>

namespace azcm::gcservice::test {
namespace {

using nlohmann::json;

class SshdSettingTest : public ::testing::Test {
protected:
    Sandbox sandbox;
    FakeBackend backend;
    json props = {{"key", "PermitRootLogin"}, {"value", "no"}};
};

TEST_F(SshdSettingTest, CompliantWithCaseInsensitiveKeywordAndValue) {
    sandbox.write("/etc/ssh/sshd_config", "# comment\npermitrootlogin   No\n", 0600);
    auto r = evaluateOne("sshd_setting", props, kAudit, backend, sandbox.context);
    EXPECT_TRUE(r.compliant) << r.reason;
    EXPECT_EQ(r.reason, "PermitRootLogin is No (/etc/ssh/sshd_config line 2)");
}

TEST_F(SshdSettingTest, FirstMatchWinsAcrossIncludes) {
    sandbox.write("/etc/ssh/sshd_config",
                  "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n", 0644);
    sandbox.write("/etc/ssh/sshd_config.d/10-cloud.conf", "PermitRootLogin=yes\n");
    auto r = evaluateOne("sshd_setting", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.reason,
              "PermitRootLogin is yes (/etc/ssh/sshd_config.d/10-cloud.conf line 1), expected no");
}

TEST_F(SshdSettingTest, RelativeIncludeIsUnderEtcSsh) {
    sandbox.write("/etc/ssh/sshd_config", "Include extra.conf\n");
    sandbox.write("/etc/ssh/extra.conf", "PermitRootLogin no\n");
    auto r = evaluateOne("sshd_setting", props, kAudit, backend, sandbox.context);
    EXPECT_TRUE(r.compliant) << r.reason;
}

TEST_F(SshdSettingTest, SettingsInsideMatchBlocksDoNotCount) {
    sandbox.write("/etc/ssh/sshd_config", "Match User admin\n    PermitRootLogin no\n");
    auto r = evaluateOne("sshd_setting", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.reason, "PermitRootLogin is not set (sshd's default applies), expected no");
}

TEST_F(SshdSettingTest, AutoCorrectPutsTheSettingBeforeIncludes) {
    sandbox.write("/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n", 0600);
    sandbox.write("/etc/ssh/sshd_config.d/10-cloud.conf", "PermitRootLogin yes\n");
    auto r = evaluateOne("sshd_setting", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(r.remediated) << r.reason << r.error;
    EXPECT_EQ(sandbox.read("/etc/ssh/sshd_config"),
              "PermitRootLogin no\nInclude /etc/ssh/sshd_config.d/*.conf\nPort 22\n");
    EXPECT_EQ(sandbox.read("/etc/ssh/sshd_config.d/10-cloud.conf"), "PermitRootLogin yes\n");
    EXPECT_EQ(modeOf(sandbox.at("/etc/ssh/sshd_config")), 0600U);
}

TEST_F(SshdSettingTest, AutoCorrectRewritesTheEffectiveLineInPlace) {
    sandbox.write("/etc/ssh/sshd_config", "Port 22\nPermitRootLogin yes\nX11Forwarding no\n");
    auto r = evaluateOne("sshd_setting", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(r.remediated);
    EXPECT_EQ(sandbox.read("/etc/ssh/sshd_config"),
              "Port 22\nPermitRootLogin no\nX11Forwarding no\n");
}

TEST_F(SshdSettingTest, AuditLeavesTheFile) {
    sandbox.write("/etc/ssh/sshd_config", "PermitRootLogin yes\n");
    auto r = evaluateOne("sshd_setting", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_FALSE(r.remediated);
    EXPECT_EQ(sandbox.read("/etc/ssh/sshd_config"), "PermitRootLogin yes\n");
}

TEST_F(SshdSettingTest, MissingConfigIsAnError) {
    auto r = evaluateOne("sshd_setting", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_NE(r.error.find("test failed"), std::string::npos);
}

} // namespace
} // namespace azcm::gcservice::test
