#pragma once
// Local accounts by name and by numeric id. Windows names accounts by SID, not by number
// (platform/windows/account_sid.hpp): there a group id is the relative id (RID) of a local group of
// the machine's account domain, and no user is ever found, which fails closed (a secret file
// with no group is readable by its owner and the administrators only).
#include "common/error.hpp"
#include "common/platform/os_types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace azcm::platform {

// The id of group `name`, or nullopt when there is no such group.
std::optional<GroupId> groupId(const std::string& name);
// The uid of user `name`, or nullopt when there is no such user.
std::optional<std::uint32_t> userId(const std::string& name);
// The name of user `uid`, or "uid <n>" when it has none.
std::string userName(std::uint32_t uid);
// A user account as the name service (NSS) knows it.
struct UserAccount {
    UserId uid = 0;
    GroupId gid = 0;                      // primary group
    std::vector<std::string> group_names; // every group it is in, the primary one included
};
// nullopt when there is no such user; an error when the name service cannot be asked.
Result<std::optional<UserAccount>> findUserAccount(const std::string& name);

struct GroupAccount {
    GroupId gid = 0;
    std::vector<std::string> members; // supplementary members, by user name
};
// nullopt when there is no such group; an error when the name service cannot be asked.
Result<std::optional<GroupAccount>> findGroupAccount(const std::string& name);

} // namespace azcm::platform
