#pragma once
// Shell-style path patterns ("/etc/ssh/sshd_config.d/*.conf"), expanded as sshd expands its
// Include lines: the matches sorted, no match being an empty list.
#include "common/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace azcm::platform {

// The existing paths `pattern` matches, sorted; empty when none does (a directory that cannot be
// read contributes nothing, as in sshd). An error only when the matches do not fit in memory.
Result<std::vector<std::filesystem::path>> pathsMatching(const std::string& pattern);

} // namespace azcm::platform
