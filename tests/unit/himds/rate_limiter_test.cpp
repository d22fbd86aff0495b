// Per-route admission control with a fake clock: the budgets of each caller uid and of the two
// groups of callers (key readers, everyone else).
#include "common/clock.hpp"
#include "himds/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace {

using azcm::ManualClock;
using azcm::himds::Caller;
using azcm::himds::RateLimit;
using azcm::himds::RateLimiter;
using azcm::himds::RouteLimits;
using namespace std::chrono_literals;

// The same limit per group and per uid: one caller alone, as the machine-wide tests had it.
RouteLimits both(RateLimit limit) {
    return RouteLimits{limit, limit};
}

RouteLimits himdsTokenLimits() {
    return azcm::himds::kTokenRouteLimits;
}

const Caller kUser{1000, false};
const Caller kRoot{0, true};

// Admits as long as the caller is admitted (at most `cap` times); how many were.
int drain(RateLimiter& limiter, const Caller& caller, int cap = 100000) {
    int admitted = 0;
    while (admitted < cap && limiter.admit(caller).admission) {
        ++admitted;
    }
    return admitted;
}

TEST(RateLimiter, BurstThenRefusesWithRetryAfterThenRefills) {
    ManualClock time;
    auto limiter = RateLimiter::create(both(RateLimit{20, 20, 100}), time.steady());
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(limiter->admit(kUser).admission) << i;
    }
    const auto refused = limiter->admit(kUser);
    EXPECT_FALSE(refused.admission);
    EXPECT_EQ(refused.retry_after, 1s);
    time.advance(100ms); // 2 tokens at 20 per second
    EXPECT_TRUE(limiter->admit(kUser).admission);
    EXPECT_TRUE(limiter->admit(kUser).admission);
    EXPECT_FALSE(limiter->admit(kUser).admission);
}

TEST(RateLimiter, SlowRateAsksForALongerWait) {
    ManualClock time;
    auto limiter = RateLimiter::create(both(RateLimit{0.25, 1, 10}), time.steady());
    EXPECT_TRUE(limiter->admit(kUser).admission);
    EXPECT_EQ(limiter->admit(kUser).retry_after, 4s);
}

TEST(RateLimiter, ConcurrencyIsBoundedUntilAnswersAreDone) {
    ManualClock time;
    auto limiter = RateLimiter::create(both(RateLimit{1000, 1000, 5}), time.steady());
    std::vector<std::shared_ptr<RateLimiter::Admission>> held;
    for (int i = 0; i < 5; ++i) {
        held.push_back(limiter->admit(kUser).admission);
        ASSERT_TRUE(held.back());
    }
    EXPECT_EQ(limiter->inProgress(), 5U);
    const auto sixth = limiter->admit(kUser);
    EXPECT_FALSE(sixth.admission);
    EXPECT_EQ(sixth.retry_after, 1s);
    held.pop_back(); // one answer went out
    EXPECT_EQ(limiter->inProgress(), 4U);
    EXPECT_TRUE(limiter->admit(kUser).admission);
}

TEST(RateLimiter, OffAdmitsEverything) {
    ManualClock time;
    auto limiter = RateLimiter::create(std::nullopt, time.steady());
    std::vector<std::shared_ptr<RateLimiter::Admission>> held;
    for (int i = 0; i < 10000; ++i) {
        held.push_back(limiter->admit(kUser).admission);
        ASSERT_TRUE(held.back());
    }
    EXPECT_EQ(limiter->inProgress(), 10000U);
}

TEST(RateLimiter, IdleTimeDoesNotBankMoreThanTheBurst) {
    ManualClock time;
    auto limiter = RateLimiter::create(both(RateLimit{20, 20, 100}), time.steady());
    time.advance(1h);
    EXPECT_EQ(drain(*limiter, kUser), 20);
}

TEST(RateLimiter, OneUidCannotSpendAnotherUidsBudget) {
    ManualClock time;
    auto limiter = RateLimiter::create(himdsTokenLimits(), time.steady());
    const Caller flooder{1000, false};
    const Caller neighbour{1001, false};
    EXPECT_EQ(drain(*limiter, flooder), 10); // its own burst: half of the group's
    EXPECT_EQ(drain(*limiter, neighbour), 10);
}

TEST(RateLimiter, FloodFromOneUidLeavesHalfTheRateToTheOthersOfItsGroup) {
    ManualClock time;
    auto limiter = RateLimiter::create(himdsTokenLimits(), time.steady());
    const Caller flooder{1000, false};
    const Caller neighbour{1001, false};
    int flooder_admitted = 0;
    int neighbour_admitted = 0;
    // Ten seconds in steps of 10 ms: the flooder asks as often as it is let, the neighbour asks
    // 8 times a second (under its own 10 per second).
    for (int step = 0; step < 1000; ++step) {
        time.advance(10ms);
        flooder_admitted += drain(*limiter, flooder);
        if (step % 12 == 0) {
            neighbour_admitted += limiter->admit(neighbour).admission ? 1 : 0;
        }
    }
    EXPECT_LE(flooder_admitted, 10 + 10 * 10); // burst + 10 s at its 10 per second
    EXPECT_EQ(neighbour_admitted, 84);         // every one it asked for
}

TEST(RateLimiter, KeyReadersKeepTheirBudgetWhileOtherUsersFlood) {
    ManualClock time;
    auto limiter = RateLimiter::create(himdsTokenLimits(), time.steady());
    // Many other users, together more than the whole group's budget.
    for (std::uint32_t uid = 2000; uid < 2010; ++uid) {
        drain(*limiter, Caller{uid, false});
    }
    EXPECT_FALSE(limiter->admit(Caller{2010, false}).admission) << "their group is spent";
    EXPECT_EQ(drain(*limiter, kRoot), 10);
    EXPECT_EQ(drain(*limiter, Caller{1500, true}), 10) << "a member of group himds";
}

TEST(RateLimiter, ConcurrencyIsBoundedPerUidAndPerGroup) {
    ManualClock time;
    auto limiter =
        RateLimiter::create(RouteLimits{{1000, 1000, 5}, {1000, 1000, 3}}, time.steady());
    std::vector<std::shared_ptr<RateLimiter::Admission>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(limiter->admit(Caller{1000, false}).admission);
    }
    EXPECT_FALSE(limiter->admit(Caller{1000, false}).admission);
    held.push_back(limiter->admit(Caller{1001, false}).admission);
    held.push_back(limiter->admit(Caller{1001, false}).admission);
    EXPECT_FALSE(limiter->admit(Caller{1002, false}).admission) << "the group holds 5";
    EXPECT_TRUE(limiter->admit(kRoot).admission) << "the other group is free";
}

TEST(RateLimiter, UnknownCallersShareOneBudgetAndAreNeverKeyReaders) {
    ManualClock time;
    auto limiter = RateLimiter::create(himdsTokenLimits(), time.steady());
    EXPECT_EQ(drain(*limiter, Caller{std::nullopt, true}), 10);
    EXPECT_FALSE(limiter->admit(Caller{std::nullopt, false}).admission);
    EXPECT_EQ(drain(*limiter, Caller{1000, false}), 10) << "the rest of the other group";
    EXPECT_FALSE(limiter->admit(Caller{1001, false}).admission);
    EXPECT_EQ(drain(*limiter, kRoot), 10) << "the key readers' group was not touched";
}

TEST(RateLimiter, CallersNoLongerActiveAreForgotten) {
    ManualClock time;
    auto limiter = RateLimiter::create(himdsTokenLimits(), time.steady());
    for (std::uint32_t uid = 0; uid < 1000; ++uid) {
        time.advance(1s); // every bucket refills between callers
        limiter->admit(Caller{3000 + uid, false});
    }
    EXPECT_LT(limiter->trackedUids(), 200U);
}

} // namespace
