#pragma once
// `azcmagent logs [--full] [--output FILE]` (docs/cli.md): a zip for support with the agent's logs,
// its configuration files with every secret redacted, the status of each daemon and, where
// systemd runs, `systemctl status` and the last 24 hours of the journal. Root only: the logs and
// the extension settings are root's.
//
// Never in the zip: certs/, tokens/, private keys, protected settings, proxy or URL credentials,
// SAS signatures, or anything reached through a symbolic link.
#include "azcmagent/console.hpp"
#include "azcmagent/environment.hpp"
#include "common/error.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

struct LogsOptions {
    bool full = false;  // also rotated logs and the extensions' own logs
    std::string output; // default ./azcmagent-<yyyyMMddTHHmmss>-<hostname>.zip
};

CLI::App* defineLogsCommand(CLI::App& app, LogsOptions& options);

struct CapturedCommand {
    int exit_code = -1; // -1: could not be run
    std::string output; // stdout and stderr, bounded
};

// What the bundle takes from the host besides files; unit tests replace it.
struct HostTools {
    std::function<bool()> systemd_running;  // PID 1 is systemd
    std::function<bool()> journald_running; // the journal socket exists
    std::function<CapturedCommand(const std::vector<std::string>& argv)> run;
};

// The real host. In a sandbox (AZCM_ROOT set) systemd and the journal describe the host's agent,
// not the sandbox's, so both count as not running.
HostTools systemHostTools(const Paths& paths);

Result<void> runLogs(const LogsOptions& options, const Environment& env, const Console& console);
// Writes the zip; its absolute path.
Result<std::filesystem::path>
writeLogsBundle(const LogsOptions& options, const Environment& env, const HostTools& tools);

// A configuration or status document with every secret replaced by REDACTED: values of keys
// naming a secret (protectedSettings, password, secret, token, private key, credential), user
// information in URLs and SAS signatures in strings.
nlohmann::json redactDocument(const nlohmann::json& document);
// The same rules for one string value (URLs with credentials, `sig=` query values).
std::string redactString(const std::string& text);

} // namespace azcm::azcmagent
