#pragma once
// What the installer helper writes under HKEY_LOCAL_MACHINE: whole keys of values (an event
// source), the machine's environment variables, and one entry of the machine's Path. Every write
// is idempotent, and every removal of something absent succeeds, so an install or uninstall
// that ran halfway can simply run again.
#include "common/error.hpp"
#include "common/platform/windows/event_log.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace azcm::platform::windows {

// Creates the key if needed and sets each value.
Result<void> writeRegistryKey(const RegistryKeyValues& key);
// Deletes the key (with no subkeys); absent is fine.
Result<void> deleteRegistryKey(const std::string& key);

// The machine's environment (the Session Manager's Environment key), which services and every
// new logon session start from.
Result<void> setMachineVariable(const std::string& name, const std::string& value);
Result<void> removeMachineVariable(const std::string& name);
Result<std::optional<std::string>> machineVariable(const std::string& name);

// Adds `directory` at the end of the machine's Path unless an entry already names it (compared
// without case and without a trailing backslash); removes every entry that names it.
Result<void> addToMachinePath(const std::filesystem::path& directory);
Result<void> removeFromMachinePath(const std::filesystem::path& directory);

// Tells running programs (Explorer, new consoles) that the environment changed.
void announceEnvironmentChange();

} // namespace azcm::platform::windows
