#pragma once
// The WALinuxAgent handler protocol (docs/extensions.md) for one machine: installs, enables,
// updates, disables and uninstalls extension handlers on disk and runs their commands. extservice
// (the daemon) decides WHAT should be installed; this class makes it so, one operation at a time,
// and survives being killed at any point (recover()).
//
// Threading: the mutating operations (enable, disable, uninstall, recover) block while handler
// commands run (up to their timeouts) and are serialised by an internal mutex; call them from one
// worker thread. installed() and currentStatus() only read files and may be called from any thread
// at any time. Across processes a lock file per handler (flock) keeps two daemons from running
// the same handler's commands at once.
//
// On-disk state (Paths):
//   extensionsDir()/<Publisher.Type-version>/         the handler ("base")
//   extensionsDir()/.extract-<...>                    temp dir while extracting (removed at
//   recover) extensionLogsDir()/<Publisher.Type-version>/      logFolder of the handler; our
//   captured
//                                                     command output lives in its "commands/" dir
//   extensionStateDir()/handlers/<Publisher.Type>.journal.json   the step journal (crash safety)
//   extensionStateDir()/handlers/<Publisher.Type>.lock           the per-handler flock
#include "common/error.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/cpu_limit.hpp"
#include "extservice/handler/handler_codes.hpp"
#include "extservice/handler/handler_id.hpp"
#include "extservice/handler/handler_manifest.hpp"
#include "extservice/handler/handler_status.hpp"
#include "extservice/handler/package_extract.hpp"
#include "extservice/handler/package_verify.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

// What the settings file config/<seq>.settings carries.
// The default constructor cannot throw: json's is noexcept, and the throws the check finds are
// inside its body, which they cannot leave.
// NOLINTNEXTLINE(bugprone-exception-escape): noexcept default constructor, see above
struct HandlerSettings {
    int sequence_number = 0;
    nlohmann::json public_settings; // null or an object; null + empty protected -> empty file
    std::string protected_settings; // base64 CMS EnvelopedData; opaque here, never logged
    std::string thumbprint;         // protectedSettingsCertThumbprint
};

// The outcome of one operation, as the control plane should learn it.
struct OperationResult {
    bool ok = false;
    int code = code::kUnknown;           // 0, 1000-1012 (handler_codes.hpp) or -1
    std::string message;                 // human, safe to report (no settings content)
    std::optional<HandlerStatus> status; // the extension's status file after the operation
};

// Per-command timeouts. Tests shrink them: AZCM_EXT_TIMEOUT_SCALE=<factor> multiplies
// all five (e.g. 0.005 -> enable 1.5 s), or set fields directly.
struct CommandTimeouts {
    std::chrono::milliseconds install{std::chrono::seconds(900)};
    std::chrono::milliseconds enable{std::chrono::seconds(300)};
    std::chrono::milliseconds disable{std::chrono::seconds(900)};
    std::chrono::milliseconds update{std::chrono::seconds(900)};
    std::chrono::milliseconds uninstall{std::chrono::seconds(300)};

    static CommandTimeouts fromEnvironment();
};

// Returns the cgroup a handler's commands run in (one per handler, with the manifest's cap or
// the local override). A default CpuGroup (not enforced) is fine: commands then run uncapped.
using CpuGroupFactory = std::function<platform::CpuGroup(const HandlerId&, const HandlerManifest&)>;

struct HandlerManagerOptions {
    Paths paths;
    CommandTimeouts timeouts;
    CpuGroupFactory cpu_group; // may be empty: no cgroup
    // Captured stdout and stderr of one command: each keeps at most this many bytes (the tail).
    std::size_t output_limit_bytes = 1 << 20;
    // Our captured-output files of one handler (logFolder/commands) never exceed this in total;
    // the oldest files are deleted first.
    std::size_t command_log_budget_bytes = 8 << 20;
    ExtractLimits extract_limits;
    // AZURE_GUEST_AGENT_WIRE_PROTOCOL_ADDRESS: Arc has no WireServer; a fixed placeholder.
    std::string wire_protocol_address = "127.0.0.1:0";
    std::chrono::seconds heartbeat_stale_after{600};
};

enum class HandlerState { kNotInstalled, kInstalled, kEnabled, kFailedUpgrade };
const char* toString(HandlerState state); // "NotInstalled", ... (the config/HandlerState text)

struct InstalledHandler {
    HandlerId id;
    HandlerState state = HandlerState::kNotInstalled;
    std::optional<int> sequence_number;  // of the newest config/<seq>.settings
    std::optional<HandlerStatus> status; // status/<seq>.status (nullopt: no settings yet)
    HandlerHealth health;                // config/HandlerStatus, or heartbeat when reported
    bool operation_pending = false;      // a journal says an operation did not finish
};

class HandlerManager {
public:
    explicit HandlerManager(HandlerManagerOptions options);
    ~HandlerManager();
    HandlerManager(const HandlerManager&) = delete;
    HandlerManager& operator=(const HandlerManager&) = delete;
    HandlerManager(HandlerManager&&) = delete;
    HandlerManager& operator=(HandlerManager&&) = delete;

    // Makes `target` the one installed version of target.name(), enabled, with `settings`:
    // fresh install (extract, initialize, settings, install, enable), reconfigure (same version:
    // settings, enable), or the update sequence (docs/extensions.md, "Handler protocol") for an
    // upgrade or a downgrade. `verified_zip` must already have passed verifyPackage(); it is only
    // opened when something is extracted. Failures: a refused package (1002-1005) changes nothing
    // on disk. A failed update (1008) is rolled back: the new version's directory goes and the old
    // version stays (disabled if its disable command ran), so there is never a FailedUpgrade
    // directory beside the old one (where WALinuxAgent would keep both); the next enable of the
    // target retries the update. A failed install (1007) leaves the directory NotInstalled; the
    // next enable re-extracts it.
    OperationResult enable(const HandlerId& target,
                           const std::filesystem::path& verified_zip,
                           const HandlerSettings& settings);
    // Runs the disable command if the handler (Publisher.Type) is enabled.
    OperationResult disable(const std::string& name);
    // Disable if enabled, uninstall (errors logged, swallowed), delete the directory.
    OperationResult uninstall(const std::string& name);

    // From disk, every version directory under extensionsDir().
    std::vector<InstalledHandler> installed() const;
    std::optional<InstalledHandler> current(const std::string& name) const;
    // Re-reads the extension's status file (and the heartbeat when the manifest asks for one).
    std::optional<HandlerStatus> currentStatus(const std::string& name) const;

    // Call once at start-up before anything else: removes extraction temp dirs, kills process
    // groups of commands that a crash left running, and finishes (or rolls back) every operation
    // a journal shows unfinished; an interrupted command is re-run once. Returns log lines.
    std::vector<std::string> recover();

    const HandlerManagerOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace azcm::extservice
