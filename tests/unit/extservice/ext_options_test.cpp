// extservice's options from its environment: the defaults production runs with, and the limits
// a test or an administrator may set.
#include "extservice/ext_options.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace azcm::extservice {
namespace {

using Variables = std::map<std::string, std::string>;

TEST(ExtOptions, DefaultsPollEveryFiveMinutesAndLongPollUnderFourMinutes) {
    auto defaults = optionsFromEnvironment(daemon::EnvironmentOptions(Variables{}));
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults.value().poll_interval, std::chrono::seconds(300));
    EXPECT_EQ(defaults.value().long_poll_wait, std::chrono::seconds(230));
}

TEST(ExtOptions, LongPollWaitIsRefusedAboveFiveMinutesNamingTheVariable) {
    for (const auto& [value, accepted] :
         std::map<std::string, bool>{{"0", true}, {"300", true}, {"301", false}, {"x", false}}) {
        auto parsed = optionsFromEnvironment(
            daemon::EnvironmentOptions(Variables{{"AZCM_EXT_LONGPOLL_SECONDS", value}}));
        ASSERT_EQ(static_cast<bool>(parsed), accepted) << value;
        if (!accepted) {
            EXPECT_NE(parsed.error().message.find("AZCM_EXT_LONGPOLL_SECONDS"), std::string::npos);
        }
    }
}

} // namespace
} // namespace azcm::extservice
