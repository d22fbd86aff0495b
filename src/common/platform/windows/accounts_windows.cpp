// Accounts by numeric id on Windows, where accounts have SIDs and no numbers: no account is ever
// found (accounts.hpp). Callers that grant access by group get none; access by SID goes through
// account_sid.hpp and local_peer.hpp.
#include "common/platform/accounts.hpp"
#include "common/platform/user_groups.hpp"

namespace azcm::platform {

std::optional<GroupId> groupId(const std::string& /*name*/) {
    return std::nullopt;
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
