#pragma once
// `azcmagent upgrade [--version V]` (docs/cli.md, docs/upgrade.md): fetch a published agent
// release from the control plane's feed, verify it, and install it through this machine's package
// manager. Root only; the machine must be connected, since the feed takes its identity.
#include "azcmagent/console.hpp"
#include "azcmagent/environment.hpp"
#include "azcmagent/package_installer.hpp"
#include "common/error.hpp"
#include "common/platform/file_lock.hpp"

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

struct UpgradeOptions {
    std::string version; // "", "MAJOR.MINOR" or "MAJOR.MINOR.BUILD.REVISION"
    // What the system's timer runs (docs/upgrade.md, "Automatic upgrades").
    bool automatic = false;
    // Reported with the outcome: ARM's correlationId of the request being carried out.
    std::string correlation_id;
};

CLI::App* defineUpgradeCommand(CLI::App& app, UpgradeOptions& options);

// {"previousVersion", "version", "installer", "upgraded"}; `upgraded` is false when the chosen
// release is already installed. The outcome of an attempted install is reported to himds, which
// tells ARM (agentUpgrade.lastAttempt*).
Result<nlohmann::json>
runUpgrade(const UpgradeOptions& options, const Environment& env, const Console& console);

// The same with the installer given: tests hand in a recorder. One upgrade at a time: while
// another holds the upgrade lock, an error that says so.
Result<nlohmann::json> runUpgradeWith(const UpgradeOptions& options,
                                      const Environment& env,
                                      const Console& console,
                                      PackageInstaller& installer);

// The upgrade lock (<agentDataDir>/upgrade/upgrade.lock, in root's own directory, which this
// creates and checks): held while the result lives; nullopt while another upgrade holds it.
Result<std::optional<platform::FileLock>> tryLockUpgrades(const Environment& env);
// runUpgradeWith for a caller that holds the lock already.
Result<nlohmann::json> runUpgradeLocked(const UpgradeOptions& options,
                                        const Environment& env,
                                        const Console& console,
                                        PackageInstaller& installer);

} // namespace azcm::azcmagent
