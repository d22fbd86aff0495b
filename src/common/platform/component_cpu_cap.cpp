#include "common/platform/component_cpu_cap.hpp"

#include "common/log/log.hpp"

#include <cmath>

#include <spdlog/spdlog.h>

namespace azcm::platform {

ComponentCpuCap::ComponentCpuCap(std::string component, CpuGroup group)
    : component_(std::move(component)), group_(std::move(group)) {}

Result<void> ComponentCpuCap::apply(std::optional<unsigned> percent) {
    cap_percent_ = percent;
    if (!group_.enforcement().enforced) {
        // Remembered for status(): the administrator sees the cap asked for and why it is not
        // in force, and the daemon keeps working.
        return ok();
    }
    if (auto set = group_.setQuotaPercent(percent); !set) {
        return set.error();
    }
    spdlog::info("CPU_CAP_APPLIED component={} cap={} cgroup={}", component_,
                 percent ? std::to_string(*percent) + "%" : std::string("unlimited"),
                 group_.path());
    return ok();
}

void ComponentCpuCap::sample() {
    if (!group_.enforcement().enforced) {
        return;
    }
    auto sampled = group_.sample();
    if (!sampled) {
        if (!sample_failure_logged_) {
            spdlog::warn("CPU_SAMPLE_FAILED component={} error={}", component_,
                         log::sanitize(sampled.error().message));
            sample_failure_logged_ = true;
        }
        return;
    }
    sample_failure_logged_ = false;
    window_.add(sampled.value());
}

nlohmann::json ComponentCpuCap::status() const {
    nlohmann::json status = {
        {"component", component_},
        {"capPercent", cap_percent_ ? nlohmann::json(*cap_percent_) : nlohmann::json(nullptr)},
        {"enforced", group_.enforcement().enforced},
        {"cgroup", group_.path()},
        {"window", nullptr},
    };
    if (!group_.enforcement().enforced) {
        status["reason"] = group_.enforcement().reason;
    }
    if (auto report = window_.report()) {
        using std::chrono::duration_cast;
        using std::chrono::milliseconds;
        // Two decimals: enough to compare against a 5% cap, without float noise in the JSON.
        const double used = std::round(report->used_percent * 100.0) / 100.0;
        status["window"] = {
            {"seconds",
             std::chrono::duration<double>(duration_cast<milliseconds>(report->covered)).count()},
            {"usedPercent", used},
            {"throttledMs", duration_cast<milliseconds>(report->throttled).count()},
            {"throttledPeriods", report->nr_throttled},
        };
    }
    return status;
}

} // namespace azcm::platform
