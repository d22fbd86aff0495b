#pragma once
// One capped component of a daemon (the daemon itself, or one extension handler): its cgroup, the
// cap in force, and a one-minute usage window read from the kernel's accounting. gcservice and
// extservice own one per component, apply the configured cap at start and on every reload, call
// sample() every 10 s (kCpuSampleInterval) on their io thread, and put status() into
// GET /status, which `azcmagent show` prints (docs/resource-limits.md).
#include "common/error.hpp"
#include "common/platform/cpu_limit.hpp"

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::platform {

inline constexpr std::chrono::seconds kCpuSampleInterval{30};

class ComponentCpuCap {
public:
    // `component`: what status() calls it ("extservice", "extension:Publisher.Type").
    ComponentCpuCap(std::string component, CpuGroup group);

    const std::string& component() const { return component_; }
    CpuGroup& group() { return group_; }
    const CpuGroup& group() const { return group_; }
    std::optional<unsigned> capPercent() const { return cap_percent_; }

    // Sets or changes the cap (nullopt: unlimited). When the group is enforced the quota is in the
    // kernel's files before this returns; when it is not, the cap is remembered (status() shows
    // it as not enforced) and this succeeds.
    Result<void> apply(std::optional<unsigned> percent);

    // Reads the group's counters into the window; a failed read is logged once and skipped.
    void sample();

    // {"component", "capPercent" (null = unlimited), "enforced", "reason" (when not enforced),
    //  "cgroup", "window": {"seconds", "usedPercent", "throttledMs", "throttledPeriods"} (null
    //  until two samples exist)}
    nlohmann::json status() const;

private:
    std::string component_;
    CpuGroup group_;
    std::optional<unsigned> cap_percent_;
    CpuUsageWindow window_;
    bool sample_failure_logged_ = false;
};

} // namespace azcm::platform
