#pragma once
// A directory with the DACL it must have, given in SDDL (docs/windows.md lists each one): created
// if missing, and its DACL set protected (nothing inherited from above) whether it was new or not,
// so a directory that existed with looser rights is tightened, never trusted.
#include "common/error.hpp"

#include <filesystem>
#include <string>

namespace azcm::platform::windows {

Result<void> ensureDirectoryWithDacl(const std::filesystem::path& directory,
                                     const std::string& sddl);

// The DACL of `path` in SDDL (what a test or `azcmagent check` compares).
Result<std::string> directoryDacl(const std::filesystem::path& path);

} // namespace azcm::platform::windows
