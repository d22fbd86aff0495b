#pragma once
// The scheduled task that carries out automatic upgrades on Windows (docs/upgrade.md), the
// counterpart of azcmagent-autoupgrade.timer on Linux: once a minute, as SYSTEM,
// `azcmagent.exe upgrade --automatic`, which asks himds whether ARM wants another version and
// does nothing otherwise. Registered from its XML definition with schtasks.exe of System32.
#include "common/error.hpp"

#include <filesystem>
#include <string>

namespace azcm::setup {

inline constexpr const char* kAutoUpgradeTaskName =
    "\\Microsoft\\AzureConnectedMachineAgent\\AutoUpgrade";

// The task's definition (Task Scheduler schema 1.2) for azcmagent.exe in `install_dir`.
std::string autoUpgradeTaskXml(const std::filesystem::path& install_dir);

// Registers the task, replacing one of that name (a repair, an upgrade). The definition passes
// through a file in `install_dir`, which only administrators may write, and is removed after.
Result<void> registerAutoUpgradeTask(const std::filesystem::path& install_dir);

// Removes the task; an error when schtasks.exe refuses (also when there is no such task).
Result<void> removeAutoUpgradeTask();

} // namespace azcm::setup
