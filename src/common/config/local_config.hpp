#pragma once
// localconfig.json: the administrator's `azcmagent config` settings (docs/config.md), keys stored
// by property name. Each key is one row of the table in config_keys.hpp, which reads and writes
// its member here. Unknown keys are kept untouched so a newer file survives an older agent.
//
// The file is world-readable, so it never holds a secret: proxy.url is stored redacted
// ("http://***@proxy:3128") and the URL with its credentials goes into the secret file beside it
// (Paths::localConfigSecretFor), root-owned 0640 with group azcmproxy. docs/config.md.
#include "common/error.hpp"
#include "common/fs/atomic_file.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::config {

struct LocalConfig {
    bool incoming_connections_enabled = true;
    std::vector<std::string> incoming_connections_ports;
    // "direct" or "gateway"; an older agent's "default" is read as "direct".
    std::string connection_type = "direct";
    std::string proxy_url;
    std::vector<std::string> proxy_bypass;
    std::vector<std::string> extensions_allowlist;
    std::vector<std::string> extensions_blocklist;
    bool guest_configuration_enabled = true;
    bool extensions_enabled = true;
    std::string config_mode = "full";
    int guest_configuration_cpu_limit = 5;
    int extensions_cpu_limit = 5;
    bool automatic_upgrade_enabled = true;
    int automatic_upgrade_max_delay_minutes = 120;

    nlohmann::json unknown = nlohmann::json::object(); // keys this version does not know
};

// The group whose members (the users himds and arcproxy) may read the secret file besides root.
inline constexpr const char* kProxySecretGroup = "azcmproxy";

// What a reader gets of the proxy credentials.
enum class ProxyCredentials {
    kInclude,  // proxy.url in full, from the secret file: for the callers that use the proxy
    kRedacted, // "http://***@proxy:3128": for display; reads no secret, so any user may load
};

// Every setting, proxy.url in full: an in-memory form, never written as it is.
nlohmann::json toJson(const LocalConfig& config);
// What localconfig.json holds: proxy.url redacted.
nlohmann::json toPublicJson(const LocalConfig& config);
Result<LocalConfig> parseLocalConfig(const nlohmann::json& json); // exit 23 on a bad value
// A missing file gives the defaults. With kInclude, a redacted proxy.url is completed from the
// secret file (exit 70 naming it when it is unreadable or does not match); a file an older version
// wrote with the credentials in it is read as it is.
Result<LocalConfig> loadLocalConfig(const std::filesystem::path& path,
                                    ProxyCredentials credentials = ProxyCredentials::kInclude);

// Who besides root may read the secret file.
struct SecretFileAccess {
    std::optional<platform::GroupId> group; // mode 0640 with this group; nothing: 0600, root only
};
// Group azcmproxy when it exists, else root only.
SecretFileAccess defaultSecretFileAccess();

// Crash-safe, in an order that leaves a readable pair at every moment: the secret file (only
// when proxy.url has credentials; created with its final mode and group), then localconfig.json
// with proxy.url redacted and the previous file as `.bak`, then secrets no longer needed are
// removed. A previous file holding credentials in clear (older versions) is migrated: its backup
// keeps the redacted form only.
Result<void> saveLocalConfig(const std::filesystem::path& path,
                             const LocalConfig& config,
                             const SecretFileAccess& access = defaultSecretFileAccess());

} // namespace azcm::config
