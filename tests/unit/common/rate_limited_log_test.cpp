#include "common/log/rate_limited_log.hpp"

#include <gtest/gtest.h>

namespace azcm::log {
namespace {

using namespace std::chrono_literals;

TEST(RateLimitedLog, LetsABurstThroughThenCountsWhatItLeavesOut) {
    auto now = std::chrono::steady_clock::time_point{} + 1h;
    RateLimitedLog limited(3, 60s, [&] { return now; });
    EXPECT_EQ(limited.admit(), 0U);
    EXPECT_EQ(limited.admit(), 0U);
    EXPECT_EQ(limited.admit(), 0U);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_FALSE(limited.admit());
    }
    now += 59s;
    EXPECT_FALSE(limited.admit());
    // A new window: the first line says how many were left out.
    now += 1s;
    EXPECT_EQ(limited.admit(), 1001U);
    EXPECT_EQ(limited.admit(), 0U);
}

TEST(RateLimitedLog, AFloodOfAMillionEventsLogsAFewLinesAMinute) {
    auto now = std::chrono::steady_clock::time_point{} + 1h;
    RateLimitedLog limited(RateLimitedLog::kDefaultBurst, RateLimitedLog::kDefaultWindow,
                           [&] { return now; });
    std::size_t logged = 0;
    for (int second = 0; second < 120; ++second) {
        for (int i = 0; i < 10000; ++i) {
            logged += limited.admit() ? 1 : 0;
        }
        now += 1s;
    }
    EXPECT_EQ(logged, 2 * RateLimitedLog::kDefaultBurst);
}

} // namespace
} // namespace azcm::log
