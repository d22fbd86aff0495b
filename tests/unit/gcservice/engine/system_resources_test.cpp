// System-wide types against the fake backend: the host is never changed.
#include "engine_test_support.hpp"

#include <gtest/gtest.h>

namespace azcm::gcservice::test {
namespace {

using nlohmann::json;
constexpr auto kMonitor = AssignmentType::kApplyAndMonitor;

class SystemResourcesTest : public ::testing::Test {
protected:
    Sandbox sandbox;
    FakeBackend backend;
};

TEST_F(SystemResourcesTest, ServiceCompliant) {
    backend.services["auditd.service"] = {true, true, true};
    auto r = evaluateOne("systemd_service",
                         {{"name", "auditd.service"}, {"enabled", true}, {"active", true}}, kAudit,
                         backend, sandbox.context);
    EXPECT_TRUE(r.compliant);
    EXPECT_EQ(r.reason, "auditd.service is enabled and active");
}

TEST_F(SystemResourcesTest, ServiceNonCompliantAuditChangesNothing) {
    backend.services["telnet.socket"] = {true, true, true};
    json props = {{"name", "telnet.socket"}, {"enabled", false}, {"active", false}};
    auto r = evaluateOne("systemd_service", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.reason, "telnet.socket is enabled, expected disabled; active, expected inactive");
    EXPECT_EQ(backend.changes, 0);
    auto fixed = evaluateOne("systemd_service", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(fixed.remediated);
    EXPECT_FALSE(backend.services["telnet.socket"].enabled);
    EXPECT_FALSE(backend.services["telnet.socket"].active);
}

TEST_F(SystemResourcesTest, ServiceNotInstalled) {
    auto wanted = evaluateOne("systemd_service", {{"name", "auditd.service"}, {"active", true}},
                              kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(wanted.compliant);
    EXPECT_EQ(wanted.reason, "auditd.service is not installed");
    EXPECT_EQ(wanted.error, "set failed: auditd.service is not installed; install its package "
                            "first");
    auto unwanted = evaluateOne("systemd_service", {{"name", "telnet.socket"}, {"active", false}},
                                kAudit, backend, sandbox.context);
    EXPECT_TRUE(unwanted.compliant);
}

TEST_F(SystemResourcesTest, ServiceMonitorAppliesOnceThenReportsDrift) {
    backend.services["chronyd.service"] = {true, false, false};
    json props = {{"name", "chronyd.service"}, {"active", true}};
    EXPECT_TRUE(
        evaluateOne("systemd_service", props, kMonitor, backend, sandbox.context, true).remediated);
    backend.services["chronyd.service"].active = false; // stopped by someone
    int before = backend.changes;
    auto later = evaluateOne("systemd_service", props, kMonitor, backend, sandbox.context, false);
    EXPECT_FALSE(later.compliant);
    EXPECT_EQ(later.reason, "chronyd.service is inactive, expected active");
    EXPECT_EQ(backend.changes, before);
}

TEST_F(SystemResourcesTest, PackageInstalledAndAbsent) {
    backend.packages["openssh-server"] = true;
    EXPECT_TRUE(
        evaluateOne("package", {{"name", "openssh-server"}}, kAudit, backend, sandbox.context)
            .compliant);
    auto telnet = evaluateOne("package", {{"name", "telnetd"}, {"ensure", "absent"}}, kAudit,
                              backend, sandbox.context);
    EXPECT_TRUE(telnet.compliant);
    EXPECT_EQ(telnet.reason, "package telnetd is not installed");
}

TEST_F(SystemResourcesTest, PackageRemediation) {
    backend.packages["telnetd"] = true;
    json absent = {{"name", "telnetd"}, {"ensure", "absent"}, {"manager", "dpkg"}};
    auto audit = evaluateOne("package", absent, kAudit, backend, sandbox.context);
    EXPECT_FALSE(audit.compliant);
    EXPECT_EQ(audit.reason, "package telnetd is installed, expected absent");
    EXPECT_TRUE(backend.packages["telnetd"]);
    EXPECT_TRUE(evaluateOne("package", absent, kAutoCorrect, backend, sandbox.context).remediated);
    EXPECT_FALSE(backend.packages["telnetd"]);
    auto install = evaluateOne("package", {{"name", "auditd"}, {"manager", "rpm"}}, kAutoCorrect,
                               backend, sandbox.context);
    EXPECT_TRUE(install.remediated);
    EXPECT_TRUE(backend.packages["auditd"]);
}

TEST_F(SystemResourcesTest, PackageSetFailureIsReported) {
    backend.fail_changes_with = "E: Unable to locate package auditd";
    auto r = evaluateOne("package", {{"name", "auditd"}}, kAutoCorrect, backend, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.reason, "package auditd is not installed, expected installed");
    EXPECT_EQ(r.error, "set failed: E: Unable to locate package auditd");
}

TEST_F(SystemResourcesTest, Sysctl) {
    backend.sysctls["net.ipv4.ip_forward"] = "1";
    backend.sysctls["net.ipv4.ip_local_port_range"] = "32768\t60999";
    EXPECT_TRUE(evaluateOne("sysctl",
                            {{"key", "net.ipv4.ip_local_port_range"}, {"value", "32768 60999"}},
                            kAudit, backend, sandbox.context)
                    .compliant);
    json props = {{"key", "net.ipv4.ip_forward"}, {"value", "0"}};
    auto audit = evaluateOne("sysctl", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(audit.compliant);
    EXPECT_EQ(audit.reason, "net.ipv4.ip_forward is 1, expected 0");
    EXPECT_EQ(backend.sysctls["net.ipv4.ip_forward"], "1");
    EXPECT_TRUE(evaluateOne("sysctl", props, kAutoCorrect, backend, sandbox.context).remediated);
    EXPECT_EQ(backend.sysctls["net.ipv4.ip_forward"], "0");
}

TEST_F(SystemResourcesTest, LocalUser) {
    backend.groups["adm"] = GroupInfo{4, {}};
    json props = {{"name", "auditor"}, {"groups", {"adm"}}};
    auto audit = evaluateOne("local_user", props, kAudit, backend, sandbox.context);
    EXPECT_FALSE(audit.compliant);
    EXPECT_EQ(audit.reason, "user auditor does not exist");
    EXPECT_EQ(backend.changes, 0);
    auto fixed = evaluateOne("local_user", props, kAutoCorrect, backend, sandbox.context);
    EXPECT_TRUE(fixed.remediated) << fixed.error;
    EXPECT_EQ(backend.groups["adm"].members, std::vector<std::string>{"auditor"});
    auto ok = evaluateOne("local_user", props, kAudit, backend, sandbox.context);
    EXPECT_TRUE(ok.compliant);
    EXPECT_EQ(ok.reason, "user auditor exists");
}

TEST_F(SystemResourcesTest, LocalUserMissingGroupAndAbsent) {
    backend.users["guest"] = UserInfo{1001, 1001, {"guest"}};
    backend.groups["sudo"] = GroupInfo{27, {}};
    auto r = evaluateOne("local_user", {{"name", "guest"}, {"groups", {"sudo"}}}, kAudit, backend,
                         sandbox.context);
    EXPECT_EQ(r.reason, "user guest is not in group(s) sudo");
    json absent = {{"name", "guest"}, {"ensure", "absent"}};
    EXPECT_EQ(evaluateOne("local_user", absent, kAudit, backend, sandbox.context).reason,
              "user guest exists, expected absent");
    EXPECT_TRUE(backend.users.count("guest"));
    EXPECT_TRUE(
        evaluateOne("local_user", absent, kAutoCorrect, backend, sandbox.context).remediated);
    EXPECT_FALSE(backend.users.count("guest"));
}

TEST_F(SystemResourcesTest, LocalGroup) {
    backend.users["alice"] = UserInfo{1000, 1000, {"alice"}};
    json props = {{"name", "himds"}, {"members", {"alice"}}};
    auto audit = evaluateOne("local_group", props, kAudit, backend, sandbox.context);
    EXPECT_EQ(audit.reason, "group himds does not exist");
    EXPECT_FALSE(backend.groups.count("himds"));
    EXPECT_TRUE(
        evaluateOne("local_group", props, kAutoCorrect, backend, sandbox.context).remediated);
    EXPECT_EQ(backend.groups["himds"].members, std::vector<std::string>{"alice"});
    backend.groups["himds"].members.clear();
    auto drift = evaluateOne("local_group", props, kMonitor, backend, sandbox.context, false);
    EXPECT_EQ(drift.reason, "group himds lacks member(s) alice");
    EXPECT_TRUE(evaluateOne("local_group", props, kAudit, backend, sandbox.context).reason ==
                "group himds lacks member(s) alice");
    json absent = {{"name", "himds"}, {"ensure", "absent"}};
    EXPECT_TRUE(
        evaluateOne("local_group", absent, kAutoCorrect, backend, sandbox.context).remediated);
    EXPECT_FALSE(backend.groups.count("himds"));
    EXPECT_TRUE(evaluateOne("local_group", absent, kAudit, backend, sandbox.context).compliant);
}

} // namespace
} // namespace azcm::gcservice::test
