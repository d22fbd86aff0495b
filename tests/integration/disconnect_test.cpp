// Disconnect: the resource and the local identity go; a role that may not delete keeps both.
#include "common/paths/paths.hpp"
#include "sandbox.hpp"

#include <gtest/gtest.h>

namespace azcm::test {
namespace {

const char* kResourceAdmin = "Azure Connected Machine Resource Administrator";

class DisconnectTest : public ::testing::Test {
protected:
    void SetUp() override {
        sandbox_.startEmulator();
        sandbox_.startHimds();
        onboarder_ = sandbox_.createServicePrincipal("onboarder", kOnboarding);
        auto connect = sandbox_.azcmagent(sandbox_.connectArgs(onboarder_, "dc01"));
        ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;
    }
    bool localIdentityExists() const {
        Paths paths(sandbox_.root());
        return std::filesystem::exists(paths.agentConfig()) &&
               std::filesystem::exists(paths.certsDir() / "machine.key");
    }
    Sandbox sandbox_;
    ServicePrincipal onboarder_;
};

TEST_F(DisconnectTest, DeletesResourceAndLocalIdentity) {
    auto admin = sandbox_.createServicePrincipal("admin", kResourceAdmin);
    std::vector<std::string> args = {"disconnect"};
    auto creds = sandbox_.credentialArgs(admin);
    args.insert(args.end(), creds.begin(), creds.end());
    auto result = sandbox_.azcmagent(args);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_FALSE(sandbox_.getMachine("arc-rg", "dc01").has_value());
    EXPECT_FALSE(localIdentityExists());
    EXPECT_EQ(sandbox_.himdsStatus().value("connected", true), false);
    // Connect works again afterwards.
    auto again = sandbox_.azcmagent(sandbox_.connectArgs(onboarder_, "dc01"));
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

TEST_F(DisconnectTest, OnboardingRoleCannotDeleteIs43AndKeepsIdentity) {
    std::vector<std::string> args = {"disconnect"};
    auto creds = sandbox_.credentialArgs(onboarder_);
    args.insert(args.end(), creds.begin(), creds.end());
    auto result = sandbox_.azcmagent(args);
    EXPECT_EQ(result.exit_code, 43) << result.out << result.err;
    auto text = result.out + result.err;
    EXPECT_NE(text.find("AZCM0043"), std::string::npos) << text;
    EXPECT_NE(text.find("--force-local-only"), std::string::npos) << text;
    EXPECT_TRUE(localIdentityExists());
    EXPECT_TRUE(sandbox_.getMachine("arc-rg", "dc01").has_value());
}

TEST_F(DisconnectTest, ForceLocalOnlyWorksWithControlPlaneDown) {
    sandbox_.stopEmulator();
    auto result = sandbox_.azcmagent({"disconnect", "--force-local-only"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_FALSE(localIdentityExists());
    auto show = sandbox_.azcmagent({"show", "--json"});
    EXPECT_EQ(show.exit_code, 0);
}

} // namespace
} // namespace azcm::test
