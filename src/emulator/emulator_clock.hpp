#pragma once
// Time source of the emulator: status derivation, token lifetimes and certificate checks read the
// time through it so tests can move time forward instead of sleeping.
#include <chrono>
#include <cstdint>

namespace azcm::emulator {

using SystemTime = std::chrono::system_clock::time_point;

class Clock {
public:
    Clock() = default;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;
    Clock(Clock&&) = delete;
    Clock& operator=(Clock&&) = delete;
    virtual ~Clock() = default;
    virtual SystemTime now() const = 0;
};

class SystemClock final : public Clock {
public:
    SystemTime now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to (tests).
class ManualClock final : public Clock {
public:
    explicit ManualClock(SystemTime start) : now_(start) {}
    SystemTime now() const override { return now_; }
    void advance(std::chrono::seconds by) { now_ += by; }
    void set(SystemTime to) { now_ = to; }

private:
    SystemTime now_;
};

inline std::int64_t toUnixSeconds(SystemTime time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

inline SystemTime fromUnixSeconds(std::int64_t seconds) {
    return SystemTime(std::chrono::seconds(seconds));
}

} // namespace azcm::emulator
