// Per-route admission control with a fake clock.
#include "rate_limiter.hpp"

#include <gtest/gtest.h>

namespace {

using azcm::himds::RateLimit;
using azcm::himds::RateLimiter;
using namespace std::chrono_literals;

struct FakeTime {
    std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
    RateLimiter::Clock clock() {
        return [this] { return now; };
    }
};

TEST(RateLimiter, BurstThenRefusesWithRetryAfterThenRefills) {
    FakeTime time;
    auto limiter = RateLimiter::create(RateLimit{20, 20, 100}, time.clock());
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(limiter->admit().admission) << i;
    }
    const auto refused = limiter->admit();
    EXPECT_FALSE(refused.admission);
    EXPECT_EQ(refused.retry_after, 1s);
    time.now += 100ms; // 2 tokens at 20 per second
    EXPECT_TRUE(limiter->admit().admission);
    EXPECT_TRUE(limiter->admit().admission);
    EXPECT_FALSE(limiter->admit().admission);
}

TEST(RateLimiter, SlowRateAsksForALongerWait) {
    FakeTime time;
    auto limiter = RateLimiter::create(RateLimit{0.25, 1, 10}, time.clock());
    EXPECT_TRUE(limiter->admit().admission);
    EXPECT_EQ(limiter->admit().retry_after, 4s);
}

TEST(RateLimiter, ConcurrencyIsBoundedUntilAnswersAreDone) {
    FakeTime time;
    auto limiter = RateLimiter::create(RateLimit{1000, 1000, 5}, time.clock());
    std::vector<std::shared_ptr<RateLimiter::Admission>> held;
    for (int i = 0; i < 5; ++i) {
        held.push_back(limiter->admit().admission);
        ASSERT_TRUE(held.back());
    }
    EXPECT_EQ(limiter->inProgress(), 5U);
    const auto sixth = limiter->admit();
    EXPECT_FALSE(sixth.admission);
    EXPECT_EQ(sixth.retry_after, 1s);
    held.pop_back(); // one answer went out
    EXPECT_EQ(limiter->inProgress(), 4U);
    EXPECT_TRUE(limiter->admit().admission);
}

TEST(RateLimiter, OffAdmitsEverything) {
    FakeTime time;
    auto limiter = RateLimiter::create(std::nullopt, time.clock());
    std::vector<std::shared_ptr<RateLimiter::Admission>> held;
    for (int i = 0; i < 10000; ++i) {
        held.push_back(limiter->admit().admission);
        ASSERT_TRUE(held.back());
    }
    EXPECT_EQ(limiter->inProgress(), 10000U);
}

TEST(RateLimiter, IdleTimeDoesNotBankMoreThanTheBurst) {
    FakeTime time;
    auto limiter = RateLimiter::create(RateLimit{20, 20, 100}, time.clock());
    time.now += 1h;
    int admitted = 0;
    while (limiter->admit().admission) {
        ++admitted;
    }
    EXPECT_EQ(admitted, 20);
}

} // namespace
