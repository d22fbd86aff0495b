#include "himds/heartbeat_policy.hpp"

#include <algorithm>
#include <cstdint>

namespace azcm::himds {

bool renewalDue(SystemTime not_before, SystemTime not_after, SystemTime now) {
    const auto lifetime = not_after - not_before;
    const auto threshold = std::min<SystemTime::duration>(kRenewalWindow, lifetime / 2);
    return not_after - now <= threshold;
}

bool certificateLapsed(SystemTime not_after, SystemTime now) {
    return now > not_after;
}

std::chrono::seconds nextHeartbeatDelay(std::chrono::seconds interval, int consecutive_failures) {
    if (consecutive_failures <= 0) {
        return interval;
    }
    // 2^30 s is far beyond any interval; capping the exponent keeps the shift defined.
    const int exponent = std::min(consecutive_failures - 1, 30);
    const std::chrono::seconds backoff{std::int64_t{1} << exponent};
    return std::min(interval, backoff);
}

} // namespace azcm::himds
