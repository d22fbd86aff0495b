#pragma once
// HandlerManifest.json (docs/extensions.md): a JSON array whose element [0] describes the handler.
#include "common/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::extservice {

struct HandlerManifest {
    std::string name;
    std::string install_command;
    std::string uninstall_command;
    std::string update_command;
    std::string enable_command;
    std::string disable_command;
    bool report_heartbeat = false;
    bool continue_on_update_failure = false;
    bool supports_multiple_extensions = false;
    bool update_without_install = false;          // updateMode == "UpdateWithoutInstall"
    std::optional<unsigned> cpu_quota_percentage; // resourceLimits.cpuQuotaPercentage (1..N)
    std::optional<unsigned> memory_quota_mb;      // parsed, not enforced (as WALinuxAgent)
    // Non-fatal findings, e.g. a boolean field that is neither a bool nor "true"/"false".
    std::vector<std::string> warnings;
};

// Parses the manifest text (a UTF-8 BOM is tolerated). Errors carry code::kManifestParse (1003).
Result<HandlerManifest> parseHandlerManifest(std::string_view text);
// Reads <base>/HandlerManifest.json: missing -> code::kManifestNotFound (1002), else as above.
Result<HandlerManifest> loadHandlerManifest(const std::filesystem::path& base);

} // namespace azcm::extservice
