#pragma once
// Group membership from the user database (local files or whatever NSS is configured with).
#include <cstdint>

namespace azcm::platform {

// Whether the account of `uid` has group `gid`, as its primary group or a supplementary one, the
// way a login would give it. False when no account has that uid.
bool accountHasGroup(std::uint32_t uid, std::uint32_t gid);

} // namespace azcm::platform
