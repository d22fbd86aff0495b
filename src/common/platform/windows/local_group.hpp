#pragma once
// A local security group of this machine ("Hybrid agent extension applications"): created with
// no members by the installer, which never touches the membership an administrator gave it.
#include "common/error.hpp"

#include <string>

namespace azcm::platform::windows {

// Creates the group unless it exists.
Result<void> ensureLocalGroup(const std::string& name, const std::string& comment);
// Deletes the group; absent is fine.
Result<void> deleteLocalGroup(const std::string& name);

} // namespace azcm::platform::windows
