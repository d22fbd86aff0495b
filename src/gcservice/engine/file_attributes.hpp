#pragma once
// Shared by the file, directory and file_permissions types: where an absolute path of a package
// lands (under Paths::root(), so a sandbox never touches the host), and the owner/group/mode
// checks and fixes. Nothing here follows a symlink at the last component.
#include "backend.hpp"
#include "error.hpp"
#include "paths/paths.hpp"
#include "properties.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace azcm::gc {

// Accepts an absolute, lexically normal path without "." or ".." components.
Result<void> checkAbsolutePath(const std::string& path);
std::filesystem::path resolveUnderRoot(const Paths& paths, const std::string& absolute);

struct AttributeSpec {
    std::optional<mode_t> mode;
    std::optional<std::string> owner; // user name
    std::optional<std::string> group; // group name
    bool empty() const { return !mode && !owner && !group; }
};

// Reads "mode", "owner" and "group".
Result<AttributeSpec> readAttributes(PropertyReader& reader);

// Ids of the owner and group names through the backend; an unknown name is an error.
struct ResolvedIds {
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
};
Result<ResolvedIds> resolveIds(const AttributeSpec& spec, Backend& backend);

// Differences between the path's attributes and the spec, e.g. "mode is 0644, expected 0600".
// With `mode_is_maximum` the mode only must not grant more than spec.mode.
Result<std::vector<std::string>> attributeDrift(const std::filesystem::path& path,
                                                const AttributeSpec& spec,
                                                Backend& backend,
                                                bool mode_is_maximum = false);

// chown then chmod through a descriptor opened with O_NOFOLLOW (chown first: it may clear the
// set-id bits that chmod then sets). With `mode_is_maximum` the mode is narrowed, not replaced.
Result<void> applyAttributes(const std::filesystem::path& path,
                             const AttributeSpec& spec,
                             Backend& backend,
                             bool mode_is_maximum = false);

std::string joinReasons(const std::vector<std::string>& reasons); // "a; b"

} // namespace azcm::gc
