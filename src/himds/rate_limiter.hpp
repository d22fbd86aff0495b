#pragma once
// Per-route admission control for the IMDS listener (never a 5xx because of load): token buckets
// bound the request rate and counters bound the requests in progress, both per caller uid and
// per group of callers, so that no uid can spend another's budget. A refused request is answered
// 429 with Retry-After. Thread-safe.
//
// The two groups each have the route's whole budget: the accounts that may read challenge keys
// (root, himds, members of group himds) and everyone else. A flood by other users therefore never
// reaches the first group, and one uid may use at most its own per-uid budget (set to half of the
// group's), which leaves the rest of its group at least the other half.
#include "common/clock.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace azcm::himds {

struct RateLimit {
    double requests_per_second = 20;
    std::uint32_t burst = 20;         // bucket size
    std::uint32_t max_concurrent = 5; // requests admitted and not yet answered
};

struct RouteLimits {
    RateLimit per_group; // all callers of one group together
    RateLimit per_uid;   // one caller uid
};

// Defaults of the IMDS rate limits (docs/imds.md). Per group, the identity route follows Azure's
// IMDS (20 per second, 5 at once); one uid gets half of its group's budget.
inline constexpr RouteLimits kTokenRouteLimits{{20, 20, 5}, {10, 10, 3}};
inline constexpr RouteLimits kMetadataRouteLimits{{100, 100, 20}, {50, 50, 10}};

struct Caller {
    // From the kernel; nullopt when unknown (such callers share one budget, in the other group).
    std::optional<std::uint32_t> uid;
    // Root, himds or a member of group himds.
    bool key_reader = false;
};

class RateLimiter : public std::enable_shared_from_this<RateLimiter> {
public:
    // Held while a request is in progress; the destructor frees the concurrency slots.
    class Admission {
    public:
        Admission(std::shared_ptr<RateLimiter> owner, std::size_t group, std::uint64_t uid_key)
            : owner_(std::move(owner)), group_(group), uid_key_(uid_key) {}
        ~Admission();
        Admission(const Admission&) = delete;
        Admission& operator=(const Admission&) = delete;
        Admission(Admission&&) = delete;
        Admission& operator=(Admission&&) = delete;

    private:
        std::shared_ptr<RateLimiter> owner_;
        std::size_t group_;
        std::uint64_t uid_key_;
    };

    struct Decision {
        std::shared_ptr<Admission> admission; // null: refused
        std::chrono::seconds retry_after{0};  // when refused: whole seconds, at least 1
    };

    // `limits` empty: everything is admitted (the documented switch for benchmarks).
    static std::shared_ptr<RateLimiter> create(std::optional<RouteLimits> limits,
                                               SteadyClock clock = steadyClock());

    Decision admit(const Caller& caller);
    std::uint32_t inProgress() const;
    // Callers whose buckets are kept (full, idle buckets are dropped as they are equal to new).
    std::size_t trackedUids() const;

private:
    struct Bucket {
        double tokens = 0;
        SteadyTime refilled{};
        std::uint32_t in_progress = 0;
    };

    RateLimiter(std::optional<RouteLimits> limits, SteadyClock clock);
    void release(std::size_t group, std::uint64_t uid_key);
    Bucket freshBucket(const RateLimit& limit, SteadyTime now) const;
    void pruneIdleUidsLocked(SteadyTime now);

    std::optional<RouteLimits> limits_;
    SteadyClock clock_;
    mutable std::mutex mutex_;
    std::array<Bucket, 2> groups_{};
    std::unordered_map<std::uint64_t, Bucket> uids_;
    std::size_t prune_above_;
    std::uint32_t in_progress_ = 0;
};

} // namespace azcm::himds
