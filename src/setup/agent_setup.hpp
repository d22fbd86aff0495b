#pragma once
// What the Windows installer does beyond copying files and registering services, run by the MSI's
// custom actions through azcm_setup.exe (docs/windows.md, "The MSI"): the reader group, the data
// directories with their DACLs, the machine variables, Path, the event sources, the services'
// recovery and the automatic upgrades' scheduled task. Every step is idempotent: a repair or a
// re-run after a failure applies it again.
#include "common/error.hpp"
#include "common/paths/paths.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace azcm::setup {

// One directory of the layout and the DACL it gets, in SDDL.
struct DirectoryRule {
    std::filesystem::path path;
    std::string sddl;
};

// The agent's directories in creation order (parents first), for the reader group's SID (empty:
// the group is unknown, and nobody but SYSTEM, Administrators and himds reads Tokens).
std::vector<DirectoryRule> directoryRules(const Paths& paths, const std::string& reader_group_sid);

// The machine variables the installer sets: IDENTITY_ENDPOINT and IMDS_ENDPOINT, where managed-
// identity clients look for the IMDS endpoint.
std::vector<std::pair<std::string, std::string>> machineVariables();

// Installs or repairs the machine's settings for programs in `install_dir`.
Result<void> install(const Paths& paths, const std::filesystem::path& install_dir);
// Removes what install added except the data directories (kept, as the real agent keeps them:
// the identity, the configuration and the logs survive an uninstall).
Result<void> uninstall(const std::filesystem::path& install_dir);

} // namespace azcm::setup
