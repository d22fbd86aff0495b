#include "common/log/rate_limited_log.hpp"

#include <utility>

namespace azcm::log {

RateLimitedLog::RateLimitedLog(std::size_t burst,
                               std::chrono::steady_clock::duration window,
                               SteadyClock clock)
    : burst_(burst), window_(window), clock_(std::move(clock)) {}

std::optional<std::uint64_t> RateLimitedLog::admit() {
    const auto now = clock_();
    const std::lock_guard lock(mutex_);
    if (!window_start_ || now - *window_start_ >= window_) {
        window_start_ = now;
        admitted_in_window_ = 0;
    }
    if (admitted_in_window_ >= burst_) {
        ++suppressed_;
        return std::nullopt;
    }
    ++admitted_in_window_;
    return std::exchange(suppressed_, 0);
}

} // namespace azcm::log
