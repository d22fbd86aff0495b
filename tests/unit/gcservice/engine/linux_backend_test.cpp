// The real backend, read-only: nothing here changes the host.
#include "gcservice/engine/backend.hpp"
#include "hostile_environment.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace azcm::gcservice {
namespace {

TEST(LinuxBackendTest, ReadsSysctl) {
    auto backend = makeLinuxBackend();
    auto ostype = backend->readSysctl("kernel.ostype");
    ASSERT_TRUE(ostype) << ostype.error().message;
    EXPECT_EQ(ostype.value(), "Linux");
    EXPECT_FALSE(backend->readSysctl("kernel.no_such_parameter"));
}

TEST(LinuxBackendTest, FindsRootUserAndGroup) {
    auto backend = makeLinuxBackend();
    auto root = backend->findUser("root");
    ASSERT_TRUE(root);
    ASSERT_TRUE(root.value().has_value());
    EXPECT_EQ(root.value()->uid, 0U);
    auto group = backend->findGroup("root");
    ASSERT_TRUE(group && group.value().has_value());
    EXPECT_EQ(group.value()->gid, 0U);
    auto ghost = backend->findUser("azcm-no-such-user");
    ASSERT_TRUE(ghost);
    EXPECT_FALSE(ghost.value().has_value());
}

TEST(LinuxBackendTest, PackageDatabaseKnowsTheShell) {
    auto backend = makeLinuxBackend();
    bool dpkg = ::access("/usr/bin/dpkg-query", X_OK) == 0;
    auto manager = dpkg ? PackageManager::kDpkg : PackageManager::kRpm;
    auto bash = backend->packageInstalled(manager, "bash");
    ASSERT_TRUE(bash) << bash.error().message;
    EXPECT_TRUE(bash.value());
    auto missing = backend->packageInstalled(PackageManager::kAuto, "azcm-no-such-package");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing.value());
}

TEST(LinuxBackendTest, UnknownUnitIsNotInstalled) {
    auto backend = makeLinuxBackend();
    auto state = backend->serviceState("azcm-no-such-unit.service");
    ASSERT_TRUE(state) << state.error().message;
    EXPECT_FALSE(state.value().exists);
}

TEST(LinuxBackendTest, RunsWithoutShellAndCapturesOutput) {
    auto backend = makeLinuxBackend();
    auto outcome = backend->runCommand({"echo", "$HOME"}, std::chrono::seconds(5));
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome.value().exit_code, 0);
    EXPECT_EQ(outcome.value().output, "$HOME\n"); // no shell expanded it
    auto missing = backend->runCommand({"/no/such/program"}, std::chrono::seconds(5));
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing.value().exit_code, 127);
}

// A daemon started with a hostile PATH (an empty entry: the current directory, which holds a
// planted "env"), LD_PRELOAD and LD_LIBRARY_PATH: the tool it runs is the system's, and the child
// sees the fixed safe PATH and none of the rest.
TEST(LinuxBackendTest, ChildrenGetTheSafePathAndNothingOfAHostileEnvironment) {
    azcm::test::HostileEnvironment hostile;
    auto backend = makeLinuxBackend();
    auto outcome = backend->runCommand({"env"}, std::chrono::seconds(5));
    ASSERT_TRUE(outcome) << outcome.error().message;
    EXPECT_EQ(outcome.value().exit_code, 0) << outcome.value().output;
    const auto& output = outcome.value().output;
    EXPECT_EQ(hostile.leaksIn(output), "");
    // The allow-listed variables still pass.
    EXPECT_NE(output.find("IDENTITY_ENDPOINT=http://localhost:40342"), std::string::npos) << output;
    EXPECT_NE(output.find("LC_ALL=C"), std::string::npos) << output;
    // Relative program paths are refused, not looked up in the current directory.
    auto relative = backend->runCommand({"./env"}, std::chrono::seconds(5));
    ASSERT_TRUE(relative);
    EXPECT_EQ(relative.value().exit_code, 127);
    EXPECT_FALSE(hostile.plantedRan());
}

TEST(LinuxBackendTest, TimeoutHoldsWhenTheChildClosesItsOutput) {
    auto backend = makeLinuxBackend();
    auto start = std::chrono::steady_clock::now();
    auto outcome = backend->runCommand({"/bin/sh", "-c", "exec >/dev/null 2>&1; sleep 30"},
                                       std::chrono::milliseconds(300));
    ASSERT_TRUE(outcome);
    EXPECT_TRUE(outcome.value().timed_out);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

} // namespace
} // namespace azcm::gcservice
