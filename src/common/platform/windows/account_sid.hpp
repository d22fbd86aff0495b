#pragma once
// The SID of a local account or group by name ("Hybrid agent extension applications",
// "NT SERVICE\himds"), as LookupAccountNameW resolves it on this machine, and the numeric form a
// local group takes where the OS-neutral code wants a GroupId: its relative id (RID) in the
// machine's account domain, whose SID is that domain's SID followed by the RID.
#include "common/error.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace azcm::platform::windows {

// The local group whose members may read status and request tokens, as the real agent names it.
inline constexpr const char* kReaderGroupName = "Hybrid agent extension applications";

// nullopt when no such account exists; an error when the lookup itself fails.
Result<std::optional<std::string>> accountSid(const std::string& name);
// The same for a local group (an alias: a builtin or an account-domain group) only; nullopt for
// a user, a service or a well-known SID of that name.
Result<std::optional<std::string>> localGroupSid(const std::string& name);

// The SID of this machine's account domain (S-1-5-21-x-y-z), where its local groups live.
Result<std::string> accountDomainSid();

// The RID of `sid` when it is an account of `domain_sid` (that SID and one more number), else
// nullopt: a builtin group (S-1-5-32-...), a service or a well-known SID has none.
std::optional<std::uint32_t> relativeIdIn(const std::string& sid, const std::string& domain_sid);

} // namespace azcm::platform::windows
