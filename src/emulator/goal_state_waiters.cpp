#include "emulator/goal_state_waiters.hpp"

#include "emulator/http_util.hpp"

#include <algorithm>
#include <string>

#include <boost/asio/post.hpp>

namespace azcm::emulator {

std::optional<std::chrono::seconds> requestedWaitSeconds(const http::Request& request) {
    auto target =
        splitRequestTarget(std::string_view(request.target().data(), request.target().size()));
    if (!target) {
        return std::nullopt;
    }
    const auto it = target.value().query.find("waitSeconds");
    if (it == target.value().query.end()) {
        return std::chrono::seconds(0);
    }
    const std::string& text = it->second;
    if (text.empty() || text.size() > 3 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    const int seconds = std::stoi(text);
    if (seconds > kMaxGoalStateWaitSeconds) {
        return std::nullopt;
    }
    return std::chrono::seconds(seconds);
}

GoalStateWaiters::~GoalStateWaiters() {
    cancelAll();
    alive_.reset();
}

void GoalStateWaiters::attach(boost::asio::any_io_executor executor,
                              Probe external_change_probe,
                              std::chrono::milliseconds probe_interval) {
    std::optional<std::int64_t> first;
    if (external_change_probe) {
        first = external_change_probe();
    }
    std::lock_guard lock(mutex_);
    executor_ = std::move(executor);
    probe_ = std::move(external_change_probe);
    probe_interval_ = probe_interval;
    last_probe_ = first;
    probe_timer_ = std::make_unique<boost::asio::steady_timer>(*executor_);
}

bool GoalStateWaiters::canWait() const {
    std::lock_guard lock(mutex_);
    return executor_.has_value();
}

std::size_t GoalStateWaiters::waiting() const {
    std::lock_guard lock(mutex_);
    return waiters_.size();
}

void GoalStateWaiters::wait(const std::string& key,
                            std::chrono::steady_clock::time_point deadline,
                            Wake wake) {
    std::lock_guard lock(mutex_);
    if (!executor_) {
        // Misuse (callers check canWait); answer as a timeout rather than hang the request.
        boost::asio::post(boost::asio::system_executor(), [wake = std::move(wake)] { wake(true); });
        return;
    }
    auto waiter = std::make_shared<Waiter>(*executor_);
    waiter->key = toLower(key);
    waiter->wake = std::move(wake);
    waiters_.emplace(waiter->key, waiter);
    waiter->timer.expires_at(deadline);
    waiter->timer.async_wait(
        [this, alive = std::weak_ptr<bool>(alive_),
         weak = std::weak_ptr<Waiter>(waiter)](const boost::system::error_code& ec) {
            if (ec || !alive.lock()) {
                return; // cancelled: notify() or cancelAll() took the waiter
            }
            if (auto target = weak.lock()) {
                fire(target, true);
            }
        });
    armProbeLocked();
}

void GoalStateWaiters::fire(const std::shared_ptr<Waiter>& waiter, bool timed_out) {
    Wake wake;
    {
        std::lock_guard lock(mutex_);
        if (waiter->done) {
            return;
        }
        waiter->done = true;
        auto [first, last] = waiters_.equal_range(waiter->key);
        for (auto it = first; it != last; ++it) {
            if (it->second == waiter) {
                waiters_.erase(it);
                break;
            }
        }
        wake = std::move(waiter->wake);
    }
    wake(timed_out);
}

void GoalStateWaiters::wakeWhere(const std::function<bool(const std::string&)>& matches) {
    std::vector<Wake> wakes;
    std::optional<boost::asio::any_io_executor> executor;
    {
        std::lock_guard lock(mutex_);
        executor = executor_;
        for (auto it = waiters_.begin(); it != waiters_.end();) {
            if (!matches(it->first)) {
                ++it;
                continue;
            }
            auto& waiter = *it->second;
            waiter.done = true;
            waiter.timer.cancel();
            wakes.push_back(std::move(waiter.wake));
            it = waiters_.erase(it);
        }
    }
    for (auto& wake : wakes) {
        // On the executor, never inside the caller (an ARM PUT must not answer a long-poll from
        // within its own handler).
        boost::asio::post(*executor, [wake = std::move(wake)] { wake(false); });
    }
}

void GoalStateWaiters::notify(const std::string& key) {
    const std::string lowered = toLower(key);
    wakeWhere([&](const std::string& candidate) { return candidate == lowered; });
}

void GoalStateWaiters::notifyAll() {
    wakeWhere([](const std::string&) { return true; });
}

void GoalStateWaiters::cancelAll() {
    std::lock_guard lock(mutex_);
    for (auto& [key, waiter] : waiters_) {
        waiter->done = true;
        waiter->timer.cancel();
    }
    waiters_.clear();
    if (probe_timer_) {
        probe_timer_->cancel();
    }
    probe_armed_ = false;
}

void GoalStateWaiters::armProbeLocked() {
    if (!probe_ || probe_armed_ || waiters_.empty() || !probe_timer_) {
        return;
    }
    probe_armed_ = true;
    probe_timer_->expires_after(probe_interval_);
    probe_timer_->async_wait(
        [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
            if (ec || !alive.lock()) {
                return;
            }
            onProbe();
        });
}

void GoalStateWaiters::onProbe() {
    Probe probe;
    {
        std::lock_guard lock(mutex_);
        probe_armed_ = false;
        probe = probe_;
    }
    const auto value = probe ? probe() : std::nullopt;
    bool changed = false;
    {
        std::lock_guard lock(mutex_);
        if (value) {
            changed = last_probe_ != value;
            last_probe_ = value;
        }
    }
    if (changed) {
        notifyAll();
    }
    std::lock_guard lock(mutex_);
    armProbeLocked();
}

} // namespace azcm::emulator
