#include "common/config/extension_policy.hpp"

#include <algorithm>
#include <cctype>

namespace azcm::config {

namespace {

bool isNameCharacter(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

bool isName(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), isNameCharacter);
}

bool listContains(const std::vector<std::string>& list, std::string_view name) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& entry) { return sameExtension(entry, name); });
}

} // namespace

const std::vector<std::string>& monitorModeAllowlist() {
    static const std::vector<std::string> kList = {
        "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent",
        "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent",
        "Microsoft.Azure.AzureDefenderForServers/MDE.Linux",
        "Microsoft.Azure.AzureDefenderForServers/MDE.Windows",
        "Microsoft.Azure.ChangeTrackingAndInventory/ChangeTracking-Linux",
        "Microsoft.Azure.ChangeTrackingAndInventory/ChangeTracking-Windows",
        "Microsoft.Azure.Security.Monitoring/AzureSecurityLinuxAgent",
        "Microsoft.Azure.Security.Monitoring/AzureSecurityWindowsAgent",
        "Microsoft.Azure.AzureDefenderForSQL/AdvancedThreatProtection.Windows",
        "Microsoft.CPlat.Core/LinuxPatchExtension",
        "Microsoft.CPlat.Core/WindowsPatchExtension",
    };
    return kList;
}

bool sameExtension(std::string_view left, std::string_view right) {
    return left.size() == right.size() &&
           std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

bool isValidExtensionEntry(std::string_view entry) {
    if (sameExtension(entry, kAllowNone)) {
        return true;
    }
    const auto slash = entry.find('/');
    return slash != std::string_view::npos && isName(entry.substr(0, slash)) &&
           isName(entry.substr(slash + 1));
}

ExtensionDecision decide(const LocalConfig& config,
                         std::string_view publisher,
                         std::string_view type,
                         ExtensionOperation operation) {
    const std::string name = std::string(publisher) + "/" + std::string(type);
    if (operation == ExtensionOperation::kDelete) {
        return {true, "Removing " + name + " is always allowed."};
    }
    if (!config.extensions_enabled) {
        return {false, "Extensions are disabled on this machine (extensions.enabled is false)."};
    }
    const bool monitor = config.config_mode == "monitor";
    const auto& allowlist = monitor ? monitorModeAllowlist() : config.extensions_allowlist;
    const char* allowlist_name =
        monitor ? "the monitor-mode allowlist (config.mode is monitor)" : "extensions.allowlist";
    const bool allowed_by_list = listContains(allowlist, name);
    if (listContains(config.extensions_blocklist, name)) {
        return {false, allowed_by_list ? name + " is in both " + allowlist_name +
                                             " and extensions.blocklist; the blocklist wins."
                                       : name + " is in extensions.blocklist."};
    }
    if (allowlist.empty()) {
        return {true, "No allowlist is configured and " + name + " is not blocked."};
    }
    if (listContains(allowlist, kAllowNone)) {
        return {false, "extensions.allowlist is Allow/None: no extension may be installed or "
                       "changed."};
    }
    if (!allowed_by_list) {
        return {false, name + " is not in " + allowlist_name + "."};
    }
    return {true, name + " is in " + allowlist_name + "."};
}

} // namespace azcm::config
