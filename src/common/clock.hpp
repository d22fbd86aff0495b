#pragma once
// The one clock seam. Code that measures intervals or stamps times takes a SteadyClock or a
// WallClock (defaulting to steadyClock() / wallClock()), so a test can drive time with a
// ManualClock instead of sleeping:
//
//     ManualClock time;
//     RateLimiter limiter(options, time.steady());
//     time.advance(std::chrono::seconds(61));
//
// Steady time orders and measures (deadlines, windows, "remember for"); wall time is what is
// shown or compared with dates from outside (token expiry, certificate validity, log stamps).
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

namespace azcm {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using SteadyClock = std::function<SteadyTime()>;
using WallClock = std::function<WallTime()>;

inline SteadyClock steadyClock() {
    return [] { return std::chrono::steady_clock::now(); };
}

inline WallClock wallClock() {
    return [] { return std::chrono::system_clock::now(); };
}

// Time that moves only when told. Both clocks it hands out move together on advance(); they share
// its state, so they stay valid when the ManualClock is copied or goes out of scope, and a test
// may advance it while the code under test reads it on another thread.
class ManualClock {
public:
    // Wall time starts at a fixed date in 2026, so that no test depends on the day it runs.
    explicit ManualClock(WallTime wall_start = WallTime(std::chrono::seconds(1767225600)))
        : state_(std::make_shared<State>()) {
        state_->wall = wall_start;
    }

    SteadyClock steady() const {
        return [state = state_] { return state->read().first; };
    }
    WallClock wall() const {
        return [state = state_] { return state->read().second; };
    }
    SteadyTime steadyNow() const { return state_->read().first; }
    WallTime wallNow() const { return state_->read().second; }

    void advance(std::chrono::nanoseconds by) {
        const std::lock_guard lock(state_->mutex);
        state_->steady += by;
        state_->wall += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
    }
    // Moves only wall time (a clock set by an administrator or NTP); steady time stays.
    void setWall(WallTime to) {
        const std::lock_guard lock(state_->mutex);
        state_->wall = to;
    }

private:
    struct State {
        std::mutex mutex;
        SteadyTime steady{std::chrono::hours(1)};
        WallTime wall;
        std::pair<SteadyTime, WallTime> read() {
            const std::lock_guard lock(mutex);
            return {steady, wall};
        }
    };
    std::shared_ptr<State> state_;
};

} // namespace azcm
