#include "extservice/admin/extension_cpu_caps.hpp"

#include "common/log/log.hpp"
#include "common/platform/process_identity.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <spdlog/spdlog.h>

namespace azcm::extservice {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

std::optional<unsigned> documentedExtensionCap(std::string_view type) {
    static constexpr std::array<std::pair<std::string_view, unsigned>, 7> kCaps = {{
        {"AzureMonitorLinuxAgent", 60},
        {"LinuxOsUpdateExtension", 60},
        {"MDE.Linux", 60},
        {"OmsAgentForLinux", 60},
        {"MicrosoftMonitoringAgent", 60},
        {"AzureMonitorWindowsAgent", 100},
        {"MicrosoftDnsAgent", 100},
    }};
    for (const auto& [name, cap] : kCaps) {
        if (equalsIgnoreCase(name, type)) {
            return cap;
        }
    }
    return std::nullopt;
}

unsigned extensionCapPercent(std::string_view type,
                             unsigned agent_cap,
                             std::optional<unsigned> manifest_quota) {
    unsigned cap = std::max(agent_cap, documentedExtensionCap(type).value_or(0));
    if (manifest_quota && *manifest_quota > 0) {
        cap = std::min(cap, *manifest_quota);
    }
    return cap;
}

ExtensionCpuCaps::ExtensionCpuCaps(std::unique_ptr<platform::CpuLimiter> limiter,
                                   unsigned agent_cap)
    : limiter_(std::move(limiter)), agent_cap_(agent_cap) {}

Result<void> ExtensionCpuCaps::confineDaemon() {
    std::lock_guard lock(mutex_);
    daemon_ = std::make_unique<platform::ComponentCpuCap>("extservice", limiter_->daemonGroup());
    if (daemon_->group().enforcement().enforced) {
        if (auto attached = daemon_->group().attach(platform::currentProcessId()); !attached) {
            return attached.error();
        }
    } else {
        spdlog::warn("CPU_CAP_NOT_ENFORCED component=extservice {}",
                     log::sanitize(daemon_->group().enforcement().describe()));
    }
    return daemon_->apply(agent_cap_);
}

platform::CpuGroup ExtensionCpuCaps::handlerGroup(const std::string& handler_name,
                                                  const std::string& type,
                                                  std::optional<unsigned> manifest_quota) {
    std::lock_guard lock(mutex_);
    auto& entry = handlers_[handler_name];
    if (!entry.cap) {
        entry.cap = std::make_unique<platform::ComponentCpuCap>(
            "extension:" + handler_name, limiter_->extensionGroup(handler_name));
    }
    entry.type = type;
    entry.manifest_quota = manifest_quota;
    if (auto applied = entry.cap->apply(extensionCapPercent(type, agent_cap_, manifest_quota));
        !applied) {
        spdlog::warn("CPU_CAP_FAILED component=extension:{} error={}", handler_name,
                     log::sanitize(applied.error().message));
    }
    return entry.cap->group();
}

Result<void> ExtensionCpuCaps::setAgentCap(unsigned agent_cap) {
    std::lock_guard lock(mutex_);
    agent_cap_ = agent_cap;
    std::string failures;
    if (daemon_) {
        if (auto applied = daemon_->apply(agent_cap); !applied) {
            failures += "extservice: " + applied.error().message + "; ";
        }
    }
    for (auto& [name, entry] : handlers_) {
        const auto cap = extensionCapPercent(entry.type, agent_cap, entry.manifest_quota);
        if (auto applied = entry.cap->apply(cap); !applied) {
            failures += name + ": " + applied.error().message + "; ";
        }
    }
    if (!failures.empty()) {
        return makeError(exitcode::kGeneric, "CPU caps not applied: " + failures);
    }
    return ok();
}

void ExtensionCpuCaps::removeHandler(const std::string& handler_name) {
    std::lock_guard lock(mutex_);
    auto it = handlers_.find(handler_name);
    platform::CpuGroup group =
        it != handlers_.end() ? it->second.cap->group() : limiter_->extensionGroup(handler_name);
    if (it != handlers_.end()) {
        handlers_.erase(it);
    }
    if (group.enforcement().enforced) {
        if (auto removed = group.remove(); !removed) {
            spdlog::warn("CPU_GROUP_REMOVE_FAILED component=extension:{} error={}", handler_name,
                         log::sanitize(removed.error().message));
        } else {
            spdlog::info("CPU_GROUP_REMOVED component=extension:{}", handler_name);
        }
    }
}

void ExtensionCpuCaps::sampleAll() {
    std::lock_guard lock(mutex_);
    if (daemon_) {
        daemon_->sample();
    }
    for (auto& [name, entry] : handlers_) {
        entry.cap->sample();
    }
}

nlohmann::json ExtensionCpuCaps::status() const {
    std::lock_guard lock(mutex_);
    auto list = nlohmann::json::array();
    if (daemon_) {
        list.push_back(daemon_->status());
    }
    for (const auto& [name, entry] : handlers_) {
        list.push_back(entry.cap->status());
    }
    return list;
}

std::string ExtensionCpuCaps::describe() const {
    std::lock_guard lock(mutex_);
    return limiter_->enforcement().describe();
}

} // namespace azcm::extservice
