#pragma once
// CPU caps of extservice and of every extension handler it runs (docs/resource-limits.md). The
// daemon sits in its own leaf group with extensions.agent.cpulimit; each handler gets a leaf group
// of its own whose cap is the agent cap, raised for the extensions the real agent documents higher
// caps for (docs/resource-limits.md), then lowered by the handler manifest's
// resourceLimits.cpuQuotaPercentage. Thread-safe: the handler factory runs on the worker thread,
// reload and sampling on the io thread.
#include "common/error.hpp"
#include "common/platform/component_cpu_cap.hpp"
#include "common/platform/cpu_limit.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

// The documented per-extension cap (percent) for a handler type, if any: AzureMonitorLinuxAgent,
// LinuxOsUpdateExtension, MDE.Linux, OmsAgentForLinux, MicrosoftMonitoringAgent 60;
// AzureMonitorWindowsAgent, MicrosoftDnsAgent 100. Matched by type, case-insensitively.
std::optional<unsigned> documentedExtensionCap(std::string_view type);

// max(agent cap, documented cap of `type`), then min(that, manifest quota).
unsigned extensionCapPercent(std::string_view type,
                             unsigned agent_cap,
                             std::optional<unsigned> manifest_quota);

class ExtensionCpuCaps {
public:
    ExtensionCpuCaps(std::unique_ptr<platform::CpuLimiter> limiter, unsigned agent_cap);

    // Moves this process into the daemon's leaf group and applies the agent cap.
    Result<void> confineDaemon();
    // The group for one handler, created on first use; its cap follows the rules above.
    platform::CpuGroup handlerGroup(const std::string& handler_name,
                                    const std::string& type,
                                    std::optional<unsigned> manifest_quota);
    // extensions.agent.cpulimit changed: re-applied to the daemon and every handler group before
    // this returns. Errors of single groups are collected in the message.
    Result<void> setAgentCap(unsigned agent_cap);
    // The handler was uninstalled: its group is removed.
    void removeHandler(const std::string& handler_name);

    void sampleAll();
    // [daemon status, handler status...], each ComponentCpuCap::status().
    nlohmann::json status() const;
    // "enforced" or "not enforced: <reason>" of the limiter.
    std::string describe() const;

private:
    struct HandlerCap {
        std::string type;
        std::optional<unsigned> manifest_quota;
        std::unique_ptr<platform::ComponentCpuCap> cap;
    };

    mutable std::mutex mutex_;
    std::unique_ptr<platform::CpuLimiter> limiter_;
    unsigned agent_cap_;
    std::unique_ptr<platform::ComponentCpuCap> daemon_;
    std::map<std::string, HandlerCap> handlers_;
};

} // namespace azcm::extservice
