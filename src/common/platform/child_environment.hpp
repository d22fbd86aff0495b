#pragma once
// What every process the agent starts gets from it: an absolute program path and an environment
// built from an allow-list (docs/architecture.md, "Child processes"). A daemon's own environment
// is not the child's: a PATH with an empty entry (the current directory) or a directory others
// can write, or LD_PRELOAD / LD_LIBRARY_PATH, would let whoever set it run code as the daemon.
#include "common/error.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::platform {

using EnvironmentMap = std::map<std::string, std::string>;

// The only PATH a child sees, and the only directories a bare program name is looked up in.
inline constexpr std::string_view kSafePath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Whether a variable of the daemon's environment passes to its children: IDENTITY_ENDPOINT,
// IMDS_ENDPOINT, the proxy variables (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, in either case), LANG,
// LC_* and TZ. Nothing else does.
bool inheritable(std::string_view name);

// A child's environment: PATH=kSafePath, the inheritable variables of `parent`, then `extra` (the
// caller's own variables, e.g. a protocol's), which win a collision. `extra` cannot set PATH nor
// any LD_* variable: those are dropped.
EnvironmentMap childEnvironment(const EnvironmentMap& parent, const EnvironmentMap& extra = {});

// The environment of this process, as it is now.
EnvironmentMap processEnvironment();

// One variable of this process's environment; nullopt when it is not set. Safe from any thread:
// no code of the suite changes its own environment once started.
std::optional<std::string> environmentVariable(const std::string& name);

// "NAME=value" strings in name order, and the null-terminated array of pointers to them that
// execve and posix_spawn take; built before fork, when allocating is still allowed.
class EnvironmentBlock {
public:
    explicit EnvironmentBlock(const EnvironmentMap& environment);
    EnvironmentBlock(const EnvironmentBlock&) = delete;
    EnvironmentBlock& operator=(const EnvironmentBlock&) = delete;
    EnvironmentBlock(EnvironmentBlock&&) = delete;
    EnvironmentBlock& operator=(EnvironmentBlock&&) = delete;
    ~EnvironmentBlock() = default;

    char* const* envp() { return pointers_.data(); }

private:
    std::vector<std::string> strings_;
    std::vector<char*> pointers_;
};

// The program to execute: an absolute path as given, a bare name looked up in kSafePath (never in
// the daemon's PATH, never in the current directory). A relative path with a '/', or a name no
// directory of kSafePath holds as an executable regular file, is an error naming it.
Result<std::filesystem::path> resolveProgram(std::string_view program);

} // namespace azcm::platform
