// Accounts by numeric id on Windows, where accounts have SIDs and no numbers (accounts.hpp): a
// local group of the machine's account domain is known by its RID, which names it again with the
// domain's SID (account_sid.hpp); users are never found. Access by SID otherwise goes through
// account_sid.hpp and local_peer.hpp.
#include "common/platform/accounts.hpp"
#include "common/platform/user_groups.hpp"
#include "common/platform/windows/account_sid.hpp"

namespace azcm::platform {

// Anything that is not a local group of the account domain (a builtin group, a service account,
// a user, a lookup that fails) is no group: who shares by group then shares with nobody.
std::optional<GroupId> groupId(const std::string& name) {
    auto sid = windows::localGroupSid(name);
    if (!sid || !sid.value()) {
        return std::nullopt;
    }
    auto domain = windows::accountDomainSid();
    if (!domain) {
        return std::nullopt;
    }
    return windows::relativeIdIn(*sid.value(), domain.value());
}

std::optional<std::uint32_t> userId(const std::string& /*name*/) {
    return std::nullopt;
}

std::string userName(std::uint32_t uid) {
    return "uid " + std::to_string(uid);
}

Result<std::optional<UserAccount>> findUserAccount(const std::string& name) {
    return makeError(exitcode::kUnsupported,
                     "cannot look up account '" + name + "' by number: Windows accounts have SIDs");
}

Result<std::optional<GroupAccount>> findGroupAccount(const std::string& name) {
    return makeError(exitcode::kUnsupported,
                     "cannot look up group '" + name + "' by number: Windows groups have SIDs");
}

bool accountHasGroup(std::uint32_t /*uid*/, std::uint32_t /*gid*/) {
    return false;
}

} // namespace azcm::platform
