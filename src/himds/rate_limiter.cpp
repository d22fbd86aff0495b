#include "himds/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace azcm::himds {

namespace {

using TimePoint = std::chrono::steady_clock::time_point;

constexpr std::size_t kKeyReaders = 0;
constexpr std::size_t kOthers = 1;
// Callers whose uid the kernel could not tell share this key (beyond every 32-bit uid).
constexpr std::uint64_t kUnknownUid = std::uint64_t{1} << 32U;
// The per-uid table is swept for idle entries once it holds more than this many.
constexpr std::size_t kPruneAbove = 64;

template <class Bucket> void refill(Bucket& bucket, const RateLimit& limit, TimePoint now) {
    const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
    bucket.tokens =
        std::min<double>(limit.burst, bucket.tokens + elapsed * limit.requests_per_second);
    bucket.refilled = now;
}

// How long until the bucket admits one more request: zero when it does now.
template <class Bucket> std::chrono::seconds waitFor(const Bucket& bucket, const RateLimit& limit) {
    if (bucket.in_progress >= limit.max_concurrent) {
        return std::chrono::seconds(1);
    }
    if (bucket.tokens >= 1.0) {
        return std::chrono::seconds(0);
    }
    const double wait = (1.0 - bucket.tokens) / limit.requests_per_second;
    return std::chrono::seconds(std::max<long>(1, std::lround(std::ceil(wait))));
}

} // namespace

RateLimiter::Admission::~Admission() {
    owner_->release(group_, uid_key_);
}

std::shared_ptr<RateLimiter> RateLimiter::create(std::optional<RouteLimits> limits,
                                                 SteadyClock clock) {
    return std::shared_ptr<RateLimiter>(new RateLimiter(limits, std::move(clock)));
}

RateLimiter::RateLimiter(std::optional<RouteLimits> limits, SteadyClock clock)
    : limits_(limits), clock_(std::move(clock)), prune_above_(kPruneAbove) {
    if (limits_) {
        const auto now = clock_();
        for (auto& group : groups_) {
            group = freshBucket(limits_->per_group, now);
        }
    }
}

RateLimiter::Bucket RateLimiter::freshBucket(const RateLimit& limit, TimePoint now) const {
    return Bucket{static_cast<double>(limit.burst), now, 0};
}

RateLimiter::Decision RateLimiter::admit(const Caller& caller) {
    const std::lock_guard lock(mutex_);
    if (!limits_) {
        ++in_progress_;
        return {std::make_shared<Admission>(shared_from_this(), kOthers, kUnknownUid), {}};
    }
    const auto now = clock_();
    // Trust needs a uid from the kernel: an unknown caller is never a key reader.
    const std::size_t group_index = caller.key_reader && caller.uid ? kKeyReaders : kOthers;
    const std::uint64_t uid_key = caller.uid ? *caller.uid : kUnknownUid;
    auto& group = groups_.at(group_index);
    refill(group, limits_->per_group, now);
    auto [entry, inserted] = uids_.try_emplace(uid_key, freshBucket(limits_->per_uid, now));
    auto& own = entry->second;
    if (!inserted) {
        refill(own, limits_->per_uid, now);
    }
    const auto wait = std::max(waitFor(group, limits_->per_group), waitFor(own, limits_->per_uid));
    if (wait.count() > 0) {
        return {nullptr, wait};
    }
    group.tokens -= 1.0;
    own.tokens -= 1.0;
    ++group.in_progress;
    ++own.in_progress;
    ++in_progress_;
    if (uids_.size() > prune_above_) {
        pruneIdleUidsLocked(now);
    }
    return {std::make_shared<Admission>(shared_from_this(), group_index, uid_key), {}};
}

// A bucket that is full and has nothing in progress is the same as a new one: dropping it keeps
// the table as small as the set of callers active lately.
void RateLimiter::pruneIdleUidsLocked(TimePoint now) {
    for (auto it = uids_.begin(); it != uids_.end();) {
        refill(it->second, limits_->per_uid, now);
        if (it->second.in_progress == 0 && it->second.tokens >= limits_->per_uid.burst) {
            it = uids_.erase(it);
        } else {
            ++it;
        }
    }
    prune_above_ = std::max(kPruneAbove, uids_.size() * 2);
}

std::uint32_t RateLimiter::inProgress() const {
    const std::lock_guard lock(mutex_);
    return in_progress_;
}

std::size_t RateLimiter::trackedUids() const {
    const std::lock_guard lock(mutex_);
    return uids_.size();
}

void RateLimiter::release(std::size_t group, std::uint64_t uid_key) {
    const std::lock_guard lock(mutex_);
    if (in_progress_ > 0) {
        --in_progress_;
    }
    if (!limits_) {
        return;
    }
    auto& bucket = groups_.at(group);
    if (bucket.in_progress > 0) {
        --bucket.in_progress;
    }
    if (auto found = uids_.find(uid_key); found != uids_.end() && found->second.in_progress > 0) {
        --found->second.in_progress;
    }
}

} // namespace azcm::himds
