// Evaluation across resources: order, overall status, errors that do not stop the others.
#include "engine_test_support.hpp"

#include <gtest/gtest.h>

namespace azcm::gcservice::test {
namespace {

using nlohmann::json;

TEST(EvaluateTest, OneNonCompliantResourceMakesThePackageNonCompliant) {
    Sandbox sandbox;
    FakeBackend backend;
    backend.sysctls["kernel.randomize_va_space"] = "2";
    sandbox.write("/etc/issue", "x", 0644);
    auto package = parseConfiguration(
        {{"name", "P"},
         {"version", "1"},
         {"resources",
          {{{"id", "aslr"},
            {"type", "sysctl"},
            {"properties", {{"key", "kernel.randomize_va_space"}, {"value", "2"}}}},
           {{"id", "missing-sysctl"},
            {"type", "sysctl"},
            {"properties", {{"key", "kernel.nope"}, {"value", "1"}}}},
           {{"id", "issue"},
            {"type", "file"},
            {"properties", {{"path", "/etc/issue"}, {"mode", "0600"}}}}}}});
    ASSERT_TRUE(package) << package.error().message;
    auto result = evaluate(package.value(), AssignmentType::kAudit, true, backend, sandbox.context);
    EXPECT_EQ(result.complianceStatus, "NonCompliant");
    ASSERT_EQ(result.resources.size(), 3U);
    EXPECT_TRUE(result.resources[0].compliant);
    EXPECT_FALSE(result.resources[1].compliant);
    EXPECT_EQ(result.resources[1].error,
              "test failed: sysctl kernel.nope: No such file or directory");
    // The error did not stop the evaluation of the next resource.
    EXPECT_EQ(result.resources[2].reason, "/etc/issue: mode is 0644, expected 0600");

    auto json_report = toJson(result);
    EXPECT_EQ(json_report["complianceStatus"], "NonCompliant");
    EXPECT_EQ(json_report["resources"][2]["id"], "issue");
    EXPECT_EQ(json_report["resources"][2]["complianceStatus"], "NonCompliant");
    EXPECT_EQ(json_report["resources"][1]["error"],
              "test failed: sysctl kernel.nope: No such file or directory");
    EXPECT_FALSE(json_report["resources"][0].contains("error"));
}

TEST(EvaluateTest, EmptyPackageIsCompliant) {
    Sandbox sandbox;
    FakeBackend backend;
    ConfigurationPackage package{"Empty", "1", {}};
    EXPECT_EQ(
        evaluate(package, AssignmentType::kAudit, true, backend, sandbox.context).complianceStatus,
        "Compliant");
}

TEST(EvaluateTest, AuditNeverCallsSet) {
    Sandbox sandbox;
    FakeBackend backend;
    backend.fail_changes_with = "must not be called";
    auto package = onePackage("package", {{"name", "auditd"}});
    auto result = evaluate(package, AssignmentType::kAudit, true, backend, sandbox.context);
    EXPECT_EQ(result.resources[0].error, "");
    EXPECT_EQ(backend.changes, 0);
}

} // namespace
} // namespace azcm::gcservice::test
