#pragma once
// Long-poll support for the agent services: requests parked until "their" state may have changed
// (a key such as a machine's resource id) or a deadline passes. Generic on purpose: the extension
// goal state and the guest configuration assignments both park on the machine's key.
//
// Waking is a hint, not a verdict: the woken request recomputes its answer and parks again when
// nothing it shows changed (spurious wake-ups are harmless). Changes made by another process
// (`arc-emulator extension publish`) are noticed by polling a probe (the database's package
// revision) while anyone waits, and wake everyone.
//
// Thread-safe: notify() may be called from any thread; callbacks run on the executor.
#include "common/http/http_types.hpp"
#include "common/http/long_poll_limits.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace azcm::emulator {

// Longest long-poll a client may ask for (?waitSeconds=N): the agent's own limit.
inline constexpr int kMaxGoalStateWaitSeconds = static_cast<int>(http::kMaxLongPollWait.count());

// ?waitSeconds=N of a goal state request (0 when absent); nullopt when malformed or above
// kMaxGoalStateWaitSeconds.
std::optional<std::chrono::seconds> requestedWaitSeconds(const http::Request& request);

class GoalStateWaiters {
public:
    // `true`: the deadline passed; `false`: notify() for the key (or an external change).
    using Wake = std::function<void(bool timed_out)>;
    // Returns a value that changes whenever another process changed something waiters care about.
    using Probe = std::function<std::optional<std::int64_t>()>;

    GoalStateWaiters() = default;
    GoalStateWaiters(const GoalStateWaiters&) = delete;
    GoalStateWaiters& operator=(const GoalStateWaiters&) = delete;
    GoalStateWaiters(GoalStateWaiters&&) = delete;
    GoalStateWaiters& operator=(GoalStateWaiters&&) = delete;
    ~GoalStateWaiters();

    // Without an executor nobody can wait (requests are answered at once).
    void attach(boost::asio::any_io_executor executor,
                Probe external_change_probe = {},
                std::chrono::milliseconds probe_interval = std::chrono::milliseconds(200));
    bool canWait() const;

    // Parks `wake` under `key` (case-insensitive) until notify(key) or `deadline`.
    void wait(const std::string& key, std::chrono::steady_clock::time_point deadline, Wake wake);
    void notify(const std::string& key);
    void notifyAll();
    // Drops every parked request without calling it (shutdown).
    void cancelAll();
    std::size_t waiting() const;

private:
    struct Waiter {
        explicit Waiter(const boost::asio::any_io_executor& executor) : timer(executor) {}
        std::string key;
        boost::asio::steady_timer timer;
        Wake wake;
        bool done = false; // guarded by mutex_
    };

    void fire(const std::shared_ptr<Waiter>& waiter, bool timed_out);
    // Takes the matching waiters out (under the lock) and posts their wake(false).
    void wakeWhere(const std::function<bool(const std::string&)>& matches);
    void armProbeLocked();
    void onProbe();

    mutable std::mutex mutex_;
    std::optional<boost::asio::any_io_executor> executor_;
    std::multimap<std::string, std::shared_ptr<Waiter>> waiters_;
    Probe probe_;
    std::chrono::milliseconds probe_interval_{200};
    std::optional<std::int64_t> last_probe_;
    std::unique_ptr<boost::asio::steady_timer> probe_timer_;
    bool probe_armed_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true); // for handlers outliving us
};

} // namespace azcm::emulator
