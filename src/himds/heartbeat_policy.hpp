#pragma once
// The timing rules of the heartbeat loop, as pure functions so tests can pin them down.
#include <chrono>
#include <optional>
#include <string_view>

namespace azcm::himds {

using SystemTime = std::chrono::system_clock::time_point;

inline constexpr std::chrono::seconds kDefaultHeartbeatInterval{300};
inline constexpr std::chrono::seconds kRenewalWindow{std::chrono::hours(24 * 45)};

// Renew when the remaining lifetime is at most min(45 days, lifetime / 2): 45 days for the
// production 90-day certificates, half the lifetime for the short ones of test settings.
bool renewalDue(SystemTime not_before, SystemTime not_after, SystemTime now);

// A lapsed certificate can no longer authenticate: the machine is Expired.
bool certificateLapsed(SystemTime not_after, SystemTime now);

// Delay before the next heartbeat: the interval after a success; after `consecutive_failures`
// failed attempts, min(interval, 1 s * 2^(failures - 1)), so a transient outage is bridged quickly
// without hammering the service.
std::chrono::seconds nextHeartbeatDelay(std::chrono::seconds interval, int consecutive_failures);

} // namespace azcm::himds
