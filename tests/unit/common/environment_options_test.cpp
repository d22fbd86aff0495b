// The one reader of the daemons' environment variables: values, defaults, and errors that name
// the variable instead of exceptions.
#include "common/daemon/environment_options.hpp"

#include <cstdlib>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace azcm::daemon {
namespace {

using namespace std::chrono_literals;
using Variables = std::map<std::string, std::string>;

TEST(EnvironmentOptionsTest, UnsetOrEmptyGivesTheDefault) {
    const EnvironmentOptions environment(Variables{{"EMPTY", ""}});
    EXPECT_FALSE(environment.text("EMPTY"));
    EXPECT_FALSE(environment.text("UNSET"));
    EXPECT_EQ(environment.wholeNumber("EMPTY", 7, 1, 10).value(), 7U);
    EXPECT_EQ(environment.seconds("UNSET", 300s, 1s, 86400s).value(), 300s);
    EXPECT_EQ(environment.port("UNSET", 40342).value(), 40342);
    EXPECT_TRUE(environment.onOff("UNSET", true).value());
}

TEST(EnvironmentOptionsTest, ReadsValuesWithinTheirBounds) {
    const EnvironmentOptions environment(
        Variables{{"N", "10"}, {"S", "0"}, {"P", "65535"}, {"OFF", "off"}, {"ON", "on"}});
    EXPECT_EQ(environment.text("N"), "10");
    EXPECT_EQ(environment.wholeNumber("N", 1, 1, 10).value(), 10U);
    EXPECT_EQ(environment.seconds("S", 50s, 0s, 60s).value(), 0s);
    EXPECT_EQ(environment.port("P", 1).value(), 65535);
    EXPECT_FALSE(environment.onOff("OFF", true).value());
    EXPECT_TRUE(environment.onOff("ON", false).value());
}

TEST(EnvironmentOptionsTest, ARefusedValueIsAnErrorNamingTheVariableAndTheValue) {
    for (const char* bad : {"0", "-1", "11", "1s", "1.5", "x", " 5", "99999999999999999999999"}) {
        const EnvironmentOptions environment(Variables{{"AZCM_UNIT_NUMBER", bad}});
        auto number = environment.wholeNumber("AZCM_UNIT_NUMBER", 5, 1, 10);
        ASSERT_FALSE(number) << bad;
        EXPECT_EQ(number.error().code, exitcode::kInvalidArgument);
        EXPECT_NE(number.error().message.find("AZCM_UNIT_NUMBER"), std::string::npos);
        EXPECT_NE(number.error().message.find(std::string("'") + bad + "'"), std::string::npos);
        EXPECT_FALSE(environment.seconds("AZCM_UNIT_NUMBER", 5s, 1s, 10s)) << bad;
    }
    EXPECT_FALSE(EnvironmentOptions(Variables{{"P", "65536"}}).port("P", 1));
    auto switched = EnvironmentOptions(Variables{{"SWITCH", "yes"}}).onOff("SWITCH", true);
    ASSERT_FALSE(switched);
    EXPECT_NE(switched.error().message.find("'on' or 'off'"), std::string::npos);
}

TEST(EnvironmentOptionsTest, TheDefaultReaderIsTheProcessEnvironment) {
    ::setenv("AZCM_UNIT_ENVIRONMENT_OPTION", "42", 1);
    const EnvironmentOptions environment;
    EXPECT_EQ(environment.wholeNumber("AZCM_UNIT_ENVIRONMENT_OPTION", 1, 1, 100).value(), 42U);
    ::unsetenv("AZCM_UNIT_ENVIRONMENT_OPTION");
    EXPECT_EQ(environment.wholeNumber("AZCM_UNIT_ENVIRONMENT_OPTION", 1, 1, 100).value(), 1U);
}

} // namespace
} // namespace azcm::daemon
