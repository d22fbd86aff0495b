#pragma once
// The SID of a local account or group by name ("Hybrid agent extension applications",
// "NT SERVICE\himds"), as LookupAccountNameW resolves it on this machine.
#include "common/error.hpp"

#include <optional>
#include <string>

namespace azcm::platform::windows {

// The local group whose members may read status and request tokens, as the real agent names it.
inline constexpr const char* kReaderGroupName = "Hybrid agent extension applications";

// nullopt when no such account exists; an error when the lookup itself fails.
Result<std::optional<std::string>> accountSid(const std::string& name);

} // namespace azcm::platform::windows
