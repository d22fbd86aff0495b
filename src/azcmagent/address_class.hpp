#pragma once
// Whether an IP address is private for `azcmagent check` (its "PRIVATE" column): RFC 1918
// (10/8, 172.16/12, 192.168/16), loopback (127/8, ::1), link-local (169.254/16, fe80::/10) and
// unique local (fc00::/7); an IPv4-mapped IPv6 address is judged by its IPv4 part. Loopback counts
// as private: it never leaves the machine, as an endpoint behind a private link never leaves the
// private network.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::azcmagent {

// Nothing when `address` is not an IP address.
std::optional<bool> isPrivateAddress(std::string_view address);

// Private when every address is private; public when one is not; nothing when there are none.
std::optional<bool> allPrivate(const std::vector<std::string>& addresses);

} // namespace azcm::azcmagent
