#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace azcm::himds {

RateLimiter::Admission::~Admission() {
    owner_->release();
}

std::shared_ptr<RateLimiter> RateLimiter::create(std::optional<RateLimit> limit, Clock clock) {
    return std::shared_ptr<RateLimiter>(new RateLimiter(limit, std::move(clock)));
}

RateLimiter::RateLimiter(std::optional<RateLimit> limit, Clock clock)
    : limit_(limit), clock_(std::move(clock)) {
    if (limit_) {
        tokens_ = limit_->burst;
        refilled_ = clock_();
    }
}

RateLimiter::Decision RateLimiter::admit() {
    const std::lock_guard lock(mutex_);
    if (!limit_) {
        ++in_progress_;
        return {std::make_shared<Admission>(shared_from_this()), {}};
    }
    const auto now = clock_();
    const double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min<double>(limit_->burst, tokens_ + elapsed * limit_->requests_per_second);
    refilled_ = now;
    if (in_progress_ >= limit_->max_concurrent) {
        return {nullptr, std::chrono::seconds(1)};
    }
    if (tokens_ < 1.0) {
        const double wait = (1.0 - tokens_) / limit_->requests_per_second;
        return {nullptr, std::chrono::seconds(std::max<long>(1, std::lround(std::ceil(wait))))};
    }
    tokens_ -= 1.0;
    ++in_progress_;
    return {std::make_shared<Admission>(shared_from_this()), {}};
}

std::uint32_t RateLimiter::inProgress() const {
    const std::lock_guard lock(mutex_);
    return in_progress_;
}

void RateLimiter::release() {
    const std::lock_guard lock(mutex_);
    if (in_progress_ > 0) {
        --in_progress_;
    }
}

} // namespace azcm::himds
