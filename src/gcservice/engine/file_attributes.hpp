#pragma once
// Shared by the file, directory and file_permissions types: where an absolute path of a package
// lands (under Paths::root(), so a sandbox never touches the host), reached without following a
// symlink that an account other than root could have made (platform/safe_path.hpp), and the
// owner/group/mode checks and fixes. Nothing here follows a symlink at the last component.
#include "common/error.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/os_types.hpp"
#include "common/platform/safe_path.hpp"
#include "gcservice/engine/backend.hpp"
#include "gcservice/engine/properties.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace azcm::gcservice {

// Accepts an absolute, lexically normal path without "." or ".." components.
Result<void> checkAbsolutePath(const std::string& path);
std::filesystem::path resolveUnderRoot(const Paths& paths, const std::string& absolute);

// An absolute path of a package as an open parent directory and the last component's name.
struct Location {
    platform::SafeDirectory dir;
    std::string name;
};

// The parent of `absolute` (checked with checkAbsolutePath) reached from Paths::root(): nullopt
// when a parent directory does not exist, an error saying which component was refused and why.
Result<std::optional<Location>> locate(const Paths& paths, const std::string& absolute);
// The same, creating missing parent directories (0755).
Result<Location> locateCreating(const Paths& paths, const std::string& absolute);
// The reason given for a path that cannot be reached safely, e.g. "/home/a/.ssh/x cannot be
// reached safely: /home/a/.ssh: a symbolic link owned by uid 1001, not followed (...)".
std::string unreachableReason(const std::string& absolute, const Error& error);

struct AttributeSpec {
    std::optional<platform::FileMode> mode;
    std::optional<std::string> owner; // user name
    std::optional<std::string> group; // group name
    bool empty() const { return !mode && !owner && !group; }
};

// Reads "mode", "owner" and "group".
Result<AttributeSpec> readAttributes(PropertyReader& reader);

// Ids of the owner and group names through the backend; an unknown name is an error.
struct ResolvedIds {
    std::optional<platform::UserId> uid;
    std::optional<platform::GroupId> gid;
};
Result<ResolvedIds> resolveIds(const AttributeSpec& spec, Backend& backend);

// Differences between an entry's attributes and the spec, e.g. "mode is 0644, expected 0600".
// With `mode_is_maximum` the mode only must not grant more than spec.mode.
Result<std::vector<std::string>> attributeDrift(const platform::EntryStatus& status,
                                                const AttributeSpec& spec,
                                                Backend& backend,
                                                bool mode_is_maximum = false);

// chown then chmod through a descriptor of the entry itself (chown first: it may clear the set-id
// bits that chmod then sets). With `mode_is_maximum` the mode is narrowed, not replaced. A file
// with more than one hard link in a directory another account can write is refused: the other
// link could be anywhere (a planted link to /etc/shadow).
Result<void> applyAttributes(const platform::SafeDirectory& dir,
                             const std::string& name,
                             const AttributeSpec& spec,
                             Backend& backend,
                             bool mode_is_maximum = false);

std::string joinReasons(const std::vector<std::string>& reasons); // "a; b"

} // namespace azcm::gcservice
