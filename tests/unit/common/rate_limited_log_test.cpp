#include "common/clock.hpp"
#include "common/log/rate_limited_log.hpp"

#include <gtest/gtest.h>

namespace azcm::log {
namespace {

using namespace std::chrono_literals;

TEST(RateLimitedLog, LetsABurstThroughThenCountsWhatItLeavesOut) {
    ManualClock time;
    RateLimitedLog limited(3, 60s, time.steady());
    EXPECT_EQ(limited.admit(), 0U);
    EXPECT_EQ(limited.admit(), 0U);
    EXPECT_EQ(limited.admit(), 0U);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_FALSE(limited.admit());
    }
    time.advance(59s);
    EXPECT_FALSE(limited.admit());
    // A new window: the first line says how many were left out.
    time.advance(1s);
    EXPECT_EQ(limited.admit(), 1001U);
    EXPECT_EQ(limited.admit(), 0U);
}

TEST(RateLimitedLog, AFloodOfAMillionEventsLogsAFewLinesAMinute) {
    ManualClock time;
    RateLimitedLog limited(RateLimitedLog::kDefaultBurst, RateLimitedLog::kDefaultWindow,
                           time.steady());
    std::size_t logged = 0;
    for (int second = 0; second < 120; ++second) {
        for (int i = 0; i < 10000; ++i) {
            logged += limited.admit() ? 1 : 0;
        }
        time.advance(1s);
    }
    EXPECT_EQ(logged, 2 * RateLimitedLog::kDefaultBurst);
}

} // namespace
} // namespace azcm::log
