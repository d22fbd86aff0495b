#pragma once
// Whether the local configuration lets an extension operation run (docs/config.md, "Extension
// allow/block rules"), and the built-in allowlist of monitor mode. The extension manager asks this
// before every install, update and upgrade; the CLI uses the entry syntax to validate the lists.
#include "common/config/local_config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace azcm::config {

enum class ExtensionOperation { kInstall, kUpdate, kUpgrade, kDelete };

struct ExtensionDecision {
    bool allowed = false;
    std::string reason; // one sentence for logs and for the status reported to Azure
};

// The special allowlist entry that keeps the extension manager running but allows nothing.
inline constexpr std::string_view kAllowNone = "Allow/None";

// The allowlist `config.mode monitor` enforces: monitoring and security extensions only.
const std::vector<std::string>& monitorModeAllowlist();

// "Publisher/Type" with publisher and type each of [A-Za-z0-9._-]+, or `Allow/None` (any case).
bool isValidExtensionEntry(std::string_view entry);
// Case-insensitive comparison of two entries or names.
bool sameExtension(std::string_view left, std::string_view right);

// Precedence: deletion is always allowed; extensions.enabled=false blocks everything else; an
// entry in the blocklist blocks (also when it is in the allowlist); a configured allowlist blocks
// what it does not list (`Allow/None` lists nothing); otherwise allowed. In monitor mode the
// built-in allowlist replaces the file's allowlist.
ExtensionDecision decide(const LocalConfig& config,
                         std::string_view publisher,
                         std::string_view type,
                         ExtensionOperation operation);

} // namespace azcm::config
