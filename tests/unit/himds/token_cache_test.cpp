// The per-resource token cache: half-life refresh, single flight, serving through upstream
// failures, never an expired token.
#include "himds/token_cache.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using azcm::Result;
using azcm::WallTime;
using azcm::himds::ManagedIdentityToken;
using azcm::himds::TokenCache;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const std::string kArm = "https://management.azure.com/";

// Upstream that hands out one-hour tokens numbered by call, or fails while told to.
class FakeUpstream {
public:
    explicit FakeUpstream(azcm::ManualClock& clock) : clock_(clock) {}

    Result<ManagedIdentityToken> fetch(const std::string& resource) {
        const int call = ++calls_;
        last_resource_ = resource;
        if (failing_) {
            return azcm::makeError(azcm::exitcode::kTokenFailed, "upstream 500");
        }
        ManagedIdentityToken token;
        token.access_token = "token-" + std::to_string(call);
        token.issued_at = clock_.wallNow();
        token.expires_on = token.issued_at + lifetime_;
        return token;
    }

    azcm::himds::TokenFetcher fn() {
        return [this](const std::string& resource) { return fetch(resource); };
    }

    std::atomic<int> calls_{0};
    std::atomic<bool> failing_{false};
    std::string last_resource_;
    std::chrono::system_clock::duration lifetime_ = hours(1);

private:
    azcm::ManualClock& clock_;
};

class TokenCacheTest : public ::testing::Test {
protected:
    azcm::ManualClock clock_;
    FakeUpstream upstream_{clock_};
    // Jitter fixed at its maximum: back-off is exactly 1 s, 2 s, 4 s, ... capped at 60 s.
    TokenCache cache_{upstream_.fn(), clock_.wall(), [] { return 1.0; }};

    std::string tokenOf(Result<ManagedIdentityToken> result) {
        EXPECT_TRUE(result) << (result ? "" : result.error().message);
        return result ? result.value().access_token : std::string();
    }
};

TEST_F(TokenCacheTest, FirstGetCallsUpstreamOnce) {
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(upstream_.calls_, 1);
}

TEST_F(TokenCacheTest, ServedFromCacheBeforeHalfLife) {
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    clock_.advance(minutes(29) + seconds(59));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(upstream_.calls_, 1);
}

TEST_F(TokenCacheTest, RefreshedAtHalfLife) {
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    clock_.advance(minutes(30));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-2");
    EXPECT_EQ(upstream_.calls_, 2);
    // The refreshed token starts a new half-life.
    clock_.advance(minutes(29));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-2");
    EXPECT_EQ(upstream_.calls_, 2);
}

TEST_F(TokenCacheTest, PeekServesOnlyTokensThatNeedNoRefresh) {
    EXPECT_FALSE(cache_.peek(kArm)); // nothing cached: the caller must go to a worker
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    ASSERT_TRUE(cache_.peek(kArm));
    EXPECT_EQ(cache_.peek("https://management.azure.com")->access_token, "token-1");
    clock_.advance(minutes(30)); // half-life: a refresh is due, so peek hands over to get()
    EXPECT_FALSE(cache_.peek(kArm));
    EXPECT_EQ(upstream_.calls_, 1); // peek never calls upstream
}

TEST_F(TokenCacheTest, TrailingSlashSharesTheEntry) {
    EXPECT_EQ(tokenOf(cache_.get("https://management.azure.com/")), "token-1");
    EXPECT_EQ(tokenOf(cache_.get("https://management.azure.com")), "token-1");
    EXPECT_EQ(upstream_.calls_, 1);
    EXPECT_EQ(upstream_.last_resource_, "https://management.azure.com");
}

TEST_F(TokenCacheTest, ResourcesHaveSeparateEntries) {
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(tokenOf(cache_.get("https://vault.azure.net")), "token-2");
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(upstream_.calls_, 2);
}

TEST_F(TokenCacheTest, EmptyResourceIsRefusedWithoutUpstreamCall) {
    EXPECT_FALSE(cache_.get(""));
    EXPECT_FALSE(cache_.get("/"));
    EXPECT_EQ(upstream_.calls_, 0);
}

TEST_F(TokenCacheTest, BypassCacheForcesUpstreamCall) {
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(tokenOf(cache_.get(kArm, true)), "token-2");
    EXPECT_EQ(upstream_.calls_, 2);
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-2");
    EXPECT_EQ(upstream_.calls_, 2);
}

TEST_F(TokenCacheTest, ValidTokenServedWhileUpstreamFailsAndRefreshBacksOff) {
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    clock_.advance(minutes(30));
    upstream_.failing_ = true;
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(upstream_.calls_, 2);
    // Within the 1 s back-off no further attempt is made.
    clock_.advance(std::chrono::milliseconds(999));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(upstream_.calls_, 2);
    // After it, one attempt; then the back-off doubles.
    clock_.advance(std::chrono::milliseconds(1));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(upstream_.calls_, 3);
    clock_.advance(seconds(1));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(upstream_.calls_, 3);
    clock_.advance(seconds(1));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    EXPECT_EQ(upstream_.calls_, 4);
    // Recovery resets the back-off and replaces the token.
    upstream_.failing_ = false;
    clock_.advance(seconds(4));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-5");
}

TEST_F(TokenCacheTest, BackOffIsCappedAtSixtySeconds) {
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    clock_.advance(minutes(30));
    upstream_.failing_ = true;
    // Failures 1..7 back off 1, 2, 4, 8, 16, 32, 60 s; waiting 60 s always allows the next try.
    for (int attempt = 0; attempt < 10; ++attempt) {
        const int before = upstream_.calls_;
        EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
        EXPECT_EQ(upstream_.calls_, before + 1) << attempt;
        clock_.advance(seconds(60));
    }
}

TEST_F(TokenCacheTest, BackOffIsJittered) {
    FakeUpstream upstream(clock_);
    TokenCache cache(upstream.fn(), clock_.wall(), [] { return 0.0; }); // half of each delay
    EXPECT_TRUE(cache.get(kArm));
    clock_.advance(minutes(30));
    upstream.failing_ = true;
    EXPECT_TRUE(cache.get(kArm));
    EXPECT_EQ(upstream.calls_, 2);
    clock_.advance(std::chrono::milliseconds(499));
    EXPECT_TRUE(cache.get(kArm));
    EXPECT_EQ(upstream.calls_, 2);
    clock_.advance(std::chrono::milliseconds(1));
    EXPECT_TRUE(cache.get(kArm));
    EXPECT_EQ(upstream.calls_, 3);
}

TEST_F(TokenCacheTest, NeverServesExpiredTokenWhileUpstreamFails) {
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    upstream_.failing_ = true;
    clock_.advance(hours(1));
    auto result = cache_.get(kArm);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, azcm::exitcode::kTokenFailed);
    // Not even inside the back-off of that failure.
    EXPECT_FALSE(cache_.get(kArm));
}

TEST_F(TokenCacheTest, StopsServingWithinTheSafetyMarginBeforeExpiry) {
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    upstream_.failing_ = true;
    // A one-hour token: margin min(5 min, 6 min) = 5 min.
    clock_.advance(minutes(54) + seconds(59));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    clock_.advance(seconds(61));
    EXPECT_FALSE(cache_.get(kArm));
}

TEST_F(TokenCacheTest, ShortLivedTokenMarginIsATenthOfItsLifetime) {
    upstream_.lifetime_ = minutes(10);
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    upstream_.failing_ = true;
    clock_.advance(minutes(8) + seconds(59));
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-1");
    clock_.advance(seconds(2));
    EXPECT_FALSE(cache_.get(kArm));
}

TEST_F(TokenCacheTest, ColdMissFailureIsReportedAndRetriedNextCall) {
    upstream_.failing_ = true;
    EXPECT_FALSE(cache_.get(kArm));
    upstream_.failing_ = false;
    EXPECT_EQ(tokenOf(cache_.get(kArm)), "token-2");
}

TEST_F(TokenCacheTest, AlreadyExpiredUpstreamTokenIsAnError) {
    upstream_.lifetime_ = seconds(0);
    EXPECT_FALSE(cache_.get(kArm));
}

TEST_F(TokenCacheTest, ThrowingUpstreamIsAnError) {
    TokenCache cache(
        [](const std::string&) -> Result<ManagedIdentityToken> {
            throw std::runtime_error("boom");
        },
        clock_.wall());
    EXPECT_FALSE(cache.get(kArm));
    EXPECT_FALSE(cache.get(kArm)); // and no fetch is left marked in flight
}

// Upstream that blocks until released, to hold a fetch in flight.
class Gate {
public:
    void wait() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return open_; });
    }
    void open() {
        {
            const std::lock_guard lock(mutex_);
            open_ = true;
        }
        cv_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
};

void waitForWaiters(const TokenCache& cache, const std::string& resource, std::size_t count) {
    while (cache.waitersFor(resource) < count) {
        std::this_thread::yield();
    }
}

TEST_F(TokenCacheTest, ConcurrentColdMissesMakeOneUpstreamCall) {
    constexpr int kThreads = 1000;
    Gate gate;
    std::atomic<int> calls{0};
    TokenCache cache(
        [&](const std::string&) -> Result<ManagedIdentityToken> {
            ++calls;
            gate.wait();
            ManagedIdentityToken token;
            token.access_token = "the-token";
            token.issued_at = clock_.wallNow();
            token.expires_on = token.issued_at + hours(1);
            return token;
        },
        clock_.wall());

    std::vector<std::string> results(kThreads);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&cache, &results, i] {
            auto result = cache.get(kArm);
            results[static_cast<std::size_t>(i)] = result ? result.value().access_token : "error";
        });
    }
    // Every thread but the fetching one is parked on the in-flight fetch before it completes.
    waitForWaiters(cache, kArm, kThreads - 1);
    gate.open();
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(calls, 1);
    for (const auto& result : results) {
        EXPECT_EQ(result, "the-token");
    }
}

TEST_F(TokenCacheTest, WaitersOfAFailedColdFetchGetItsError) {
    Gate gate;
    std::atomic<int> calls{0};
    TokenCache cache(
        [&](const std::string&) -> Result<ManagedIdentityToken> {
            ++calls;
            gate.wait();
            return azcm::makeError(azcm::exitcode::kTokenFailed, "upstream 500");
        },
        clock_.wall());
    constexpr int kThreads = 16;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            if (!cache.get(kArm)) {
                ++failures;
            }
        });
    }
    waitForWaiters(cache, kArm, kThreads - 1);
    gate.open();
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(failures, kThreads);
}

TEST_F(TokenCacheTest, DueRefreshInFlightDoesNotBlockOtherCallers) {
    Gate gate;
    std::atomic<int> calls{0};
    TokenCache cache(
        [&](const std::string&) -> Result<ManagedIdentityToken> {
            if (++calls > 1) {
                gate.wait();
            }
            ManagedIdentityToken token;
            token.access_token = "token-" + std::to_string(calls.load());
            token.issued_at = clock_.wallNow();
            token.expires_on = token.issued_at + hours(1);
            return token;
        },
        clock_.wall());
    EXPECT_EQ(tokenOf(cache.get(kArm)), "token-1");
    clock_.advance(minutes(31));
    std::thread refresher([&] { EXPECT_EQ(tokenOf(cache.get(kArm)), "token-2"); });
    while (calls < 2) {
        std::this_thread::yield();
    }
    // The refresh is held in flight; a caller meanwhile gets the still-valid token at once.
    EXPECT_EQ(tokenOf(cache.get(kArm)), "token-1");
    gate.open();
    refresher.join();
    EXPECT_EQ(tokenOf(cache.get(kArm)), "token-2");
    EXPECT_EQ(calls, 2);
}

TEST_F(TokenCacheTest, BypassJoinsAnInFlightFetch) {
    Gate gate;
    std::atomic<int> calls{0};
    TokenCache cache(
        [&](const std::string&) -> Result<ManagedIdentityToken> {
            ++calls;
            gate.wait();
            ManagedIdentityToken token;
            token.access_token = "shared";
            token.issued_at = clock_.wallNow();
            token.expires_on = token.issued_at + hours(1);
            return token;
        },
        clock_.wall());
    std::thread first([&] { EXPECT_EQ(tokenOf(cache.get(kArm)), "shared"); });
    std::thread second([&] {
        while (calls < 1) {
            std::this_thread::yield();
        }
        EXPECT_EQ(tokenOf(cache.get(kArm, true)), "shared");
    });
    waitForWaiters(cache, kArm, 1);
    gate.open();
    first.join();
    second.join();
    EXPECT_EQ(calls, 1);
}

TEST(NormalizeResource, TrimsTrailingSlashesOnly) {
    EXPECT_EQ(azcm::himds::normalizeResource("https://management.azure.com/"),
              "https://management.azure.com");
    EXPECT_EQ(azcm::himds::normalizeResource("https://vault.azure.net//"),
              "https://vault.azure.net");
    EXPECT_EQ(azcm::himds::normalizeResource("https://x/y"), "https://x/y");
}

} // namespace
