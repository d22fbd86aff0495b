#pragma once
// Repeated events that anyone can cause (a refused connection, a wrong secret) must not be able to
// push the rest of the log out of its size budget. A RateLimitedLog lets at most `burst` lines of
// one event through per window; the others are counted, and the next line let through says how
// many were left out ("suppressed=N"). Thread-safe.
//
//     if (const auto suppressed = refused_log_.admit()) {
//         spdlog::warn("IMDS_CHALLENGE_REFUSED ... suppressed={}", *suppressed);
//     }
#include "common/clock.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace azcm::log {

class RateLimitedLog {
public:
    static constexpr std::size_t kDefaultBurst = 10;
    static constexpr std::chrono::seconds kDefaultWindow{60};

    explicit RateLimitedLog(std::size_t burst = kDefaultBurst,
                            std::chrono::steady_clock::duration window = kDefaultWindow,
                            SteadyClock clock = steadyClock());

    // nullopt: leave this line out. Otherwise log it, with the number of lines left out since the
    // last one that was logged.
    std::optional<std::uint64_t> admit();

private:
    std::size_t burst_;
    std::chrono::steady_clock::duration window_;
    SteadyClock clock_;
    std::mutex mutex_;
    std::optional<SteadyTime> window_start_;
    std::size_t admitted_in_window_ = 0;
    std::uint64_t suppressed_ = 0;
};

} // namespace azcm::log
