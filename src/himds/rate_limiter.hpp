#pragma once
// Per-route admission control for the IMDS listener (issue: never a 5xx because of load): a token
// bucket bounds the request rate and a counter bounds requests in progress. A refused request is
// answered 429 with Retry-After. Thread-safe.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace azcm::himds {

struct RateLimit {
    double requests_per_second = 20;
    std::uint32_t burst = 20;         // bucket size
    std::uint32_t max_concurrent = 5; // requests admitted and not yet answered
};

class RateLimiter : public std::enable_shared_from_this<RateLimiter> {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    // Held while a request is in progress; the destructor frees the concurrency slot.
    class Admission {
    public:
        explicit Admission(std::shared_ptr<RateLimiter> owner) : owner_(std::move(owner)) {}
        ~Admission();
        Admission(const Admission&) = delete;
        Admission& operator=(const Admission&) = delete;
        Admission(Admission&&) = delete;
        Admission& operator=(Admission&&) = delete;

    private:
        std::shared_ptr<RateLimiter> owner_;
    };

    struct Decision {
        std::shared_ptr<Admission> admission; // null: refused
        std::chrono::seconds retry_after{0};  // when refused: whole seconds, at least 1
    };

    // `limit` empty: everything is admitted (the documented switch for benchmarks).
    static std::shared_ptr<RateLimiter> create(
        std::optional<RateLimit> limit,
        Clock clock = [] { return std::chrono::steady_clock::now(); });

    Decision admit();
    std::uint32_t inProgress() const;

private:
    RateLimiter(std::optional<RateLimit> limit, Clock clock);
    void release();

    std::optional<RateLimit> limit_;
    Clock clock_;
    mutable std::mutex mutex_;
    double tokens_ = 0;
    std::chrono::steady_clock::time_point refilled_{};
    std::uint32_t in_progress_ = 0;
};

} // namespace azcm::himds
