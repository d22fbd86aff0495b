// The platform-neutral part of cpu_limit.hpp: quota arithmetic and the usage window.
#include "common/platform/cpu_limit.hpp"

#include <algorithm>

namespace azcm::platform {

CpuQuota quotaForPercent(std::optional<unsigned> percent) {
    CpuQuota quota;
    if (percent) {
        const auto quota_us = static_cast<std::int64_t>(*percent) * kCpuPeriodUs / 100;
        quota.quota_us = std::max(quota_us, kMinCpuQuotaUs);
    }
    return quota;
}

std::optional<double> percentForQuota(const CpuQuota& quota) {
    if (!quota.quota_us || quota.period_us <= 0) {
        return std::nullopt;
    }
    return 100.0 * static_cast<double>(*quota.quota_us) / static_cast<double>(quota.period_us);
}

double usedPercent(const CpuSample& from, const CpuSample& to) {
    const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(to.at - from.at).count();
    if (wall <= 0 || to.usage_ns < from.usage_ns) {
        return 0;
    }
    return 100.0 * static_cast<double>(to.usage_ns - from.usage_ns) / static_cast<double>(wall);
}

void CpuUsageWindow::add(const CpuSample& sample) {
    if (!samples_.empty()) {
        const auto& last = samples_.back();
        const bool went_back = sample.usage_ns < last.usage_ns ||
                               sample.throttled_ns < last.throttled_ns ||
                               sample.nr_throttled < last.nr_throttled || sample.at < last.at;
        if (went_back) {
            samples_.clear();
        }
    }
    samples_.push_back(sample);
    while (samples_.size() > 1 && sample.at - samples_.front().at > window_) {
        samples_.pop_front();
    }
}

std::optional<CpuWindowReport> CpuUsageWindow::report() const {
    if (samples_.size() < 2) {
        return std::nullopt;
    }
    const auto& first = samples_.front();
    const auto& last = samples_.back();
    CpuWindowReport report;
    report.covered = std::chrono::duration_cast<std::chrono::nanoseconds>(last.at - first.at);
    report.used_percent = usedPercent(first, last);
    report.throttled = std::chrono::nanoseconds(last.throttled_ns - first.throttled_ns);
    report.nr_throttled = last.nr_throttled - first.nr_throttled;
    return report;
}

std::string Enforcement::describe() const {
    return enforced ? std::string("enforced") : "not enforced: " + reason;
}

} // namespace azcm::platform
