#pragma once
// A local security group of this machine: "Hybrid agent extension applications", created with no
// members by the installer, which never touches the membership an administrator gave it, and
// "azcmproxy", whose one member is arcproxy's account.
#include "common/error.hpp"

#include <string>

namespace azcm::platform::windows {

// Creates the group unless it exists.
Result<void> ensureLocalGroup(const std::string& name, const std::string& comment);
// Makes the account of `member_sid` ("S-1-5-20") a member of the group; already one is fine.
Result<void> addLocalGroupMember(const std::string& name, const std::string& member_sid);
// Deletes the group; absent is fine.
Result<void> deleteLocalGroup(const std::string& name);

} // namespace azcm::platform::windows
