// command: osconfig's exit codes, run for real (scripts that only touch the temp root) and
// through the fake backend.
#include "engine_test_support.hpp"

#include <gtest/gtest.h>

namespace azcm::gcservice::test {
namespace {

using nlohmann::json;

class CommandResourceTest : public ::testing::Test {
protected:
    Sandbox sandbox;
    std::unique_ptr<Backend> real = makeLinuxBackend();
    std::string flag() const { return (sandbox.root() / "flag").string(); }
    json props() const {
        return {{"test", "test -e '" + flag() + "' && exit 100; echo no flag; exit 101"},
                {"set", {"/bin/sh", "-c", "touch \"$0\" && exit 100", flag()}}};
    }
};

TEST_F(CommandResourceTest, CompliantWhenTestExits100) {
    sandbox.write("/flag", "");
    auto r = evaluateOne("command", props(), kAudit, *real, sandbox.context);
    EXPECT_TRUE(r.compliant);
    EXPECT_EQ(r.reason, "test script exited 100 (in desired state)");
}

TEST_F(CommandResourceTest, NonCompliantWhenTestExits101AndAuditDoesNotRunSet) {
    auto r = evaluateOne("command", props(), kAudit, *real, sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.reason, "test script exited 101 (not in desired state): no flag");
    EXPECT_FALSE(std::filesystem::exists(flag()));
}

TEST_F(CommandResourceTest, AutoCorrectRunsSetWithoutShellThenTestsAgain) {
    auto r = evaluateOne("command", props(), kAutoCorrect, *real, sandbox.context);
    EXPECT_TRUE(r.remediated) << r.error;
    EXPECT_TRUE(std::filesystem::exists(flag()));
}

TEST_F(CommandResourceTest, OtherExitCodeIsAnError) {
    auto r = evaluateOne("command", {{"test", "echo broken >&2; exit 3"}}, kAudit, *real,
                         sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.error, "test failed: test script exited 3 (expected 100 or 101): broken");
}

TEST_F(CommandResourceTest, SetMustExit100) {
    auto r = evaluateOne("command", {{"test", "exit 101"}, {"set", "exit 0"}}, kAutoCorrect, *real,
                         sandbox.context);
    EXPECT_FALSE(r.compliant);
    EXPECT_EQ(r.error, "set failed: set script exited 0 (expected 100)");
}

TEST_F(CommandResourceTest, TimeoutKillsTheScript) {
    auto start = std::chrono::steady_clock::now();
    auto r = evaluateOne("command", {{"test", {"/bin/sleep", "30"}}, {"timeout_seconds", 1}},
                         kAudit, *real, sandbox.context);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(r.error, "test failed: test script timed out after 1000 ms");
}

TEST_F(CommandResourceTest, MissingSetIsNotRemediable) {
    auto r = evaluateOne("command", {{"test", "exit 101"}}, kAutoCorrect, *real, sandbox.context);
    EXPECT_EQ(r.error, "cannot be remediated: no set script is given");
}

TEST_F(CommandResourceTest, FakeBackendSeesTheArgv) {
    FakeBackend fake;
    std::vector<std::vector<std::string>> calls;
    fake.on_command = [&](const std::vector<std::string>& argv) {
        calls.push_back(argv);
        return CommandOutcome{calls.size() == 1 ? 101 : 100, false, ""};
    };
    auto r = evaluateOne("command", {{"test", {"/usr/bin/check", "--strict"}}, {"set", "fix"}},
                         kAutoCorrect, fake, sandbox.context);
    EXPECT_TRUE(r.remediated);
    ASSERT_EQ(calls.size(), 3U);
    EXPECT_EQ(calls[0], (std::vector<std::string>{"/usr/bin/check", "--strict"}));
    EXPECT_EQ(calls[1], (std::vector<std::string>{"/bin/sh", "-c", "fix"}));
}

} // namespace
} // namespace azcm::gcservice::test
