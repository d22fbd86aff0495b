#pragma once
// The emulator reads the time through the one clock seam (common/clock.hpp): status derivation,
// token lifetimes and certificate checks take a WallClock, so tests move a ManualClock instead
// of sleeping. Its store keeps times as Unix seconds; these convert.
#include "common/clock.hpp"

#include <chrono>
#include <cstdint>

namespace azcm::emulator {

using SystemTime = WallTime;

inline std::int64_t toUnixSeconds(SystemTime time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

inline SystemTime fromUnixSeconds(std::int64_t seconds) {
    return SystemTime(std::chrono::seconds(seconds));
}

} // namespace azcm::emulator
