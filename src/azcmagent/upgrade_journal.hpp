#pragma once
// The journal of an agent upgrade in progress (docs/upgrade.md, "The journal"): written before
// each step that changes the machine, so an upgrade killed at any point is finished or rolled
// back by the next `azcmagent upgrade`. One JSON file, replaced atomically, root only.
#include "common/agent_version.hpp"
#include "common/error.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace azcm::azcmagent {

enum class UpgradeStep {
    kInstalling,  // the new package is being installed
    kChecking,    // installed; the health check runs
    kRollingBack, // the previous package is being reinstalled
};

struct UpgradeJournal {
    UpgradeStep step = UpgradeStep::kInstalling;
    AgentVersion from;
    AgentVersion to;
    std::filesystem::path package;          // the new release, verified
    std::filesystem::path previous_package; // the installed release, verified
    std::vector<std::string> daemons;       // what answered before the install
    std::chrono::system_clock::time_point started;
    std::string failure;        // why the rollback began; empty before
    std::string correlation_id; // ARM's, when ARM asked for the upgrade
};

// <agentDataDir>/upgrade/journal.json
std::filesystem::path upgradeJournalPath(const std::filesystem::path& upgrade_dir);

Result<void> writeUpgradeJournal(const std::filesystem::path& upgrade_dir,
                                 const UpgradeJournal& journal);
// nullopt when no upgrade is in progress; an error for a journal that cannot be read, which is
// never guessed at.
Result<std::optional<UpgradeJournal>> readUpgradeJournal(const std::filesystem::path& upgrade_dir);
Result<void> removeUpgradeJournal(const std::filesystem::path& upgrade_dir);

} // namespace azcm::azcmagent
