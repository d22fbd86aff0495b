// The platform-neutral part of cpu_limit.hpp: quota arithmetic and the usage window.
#include "platform/cpu_limit.hpp"

#include <algorithm>
#include <charconv>

namespace azcm::platform {

namespace {

std::string_view trimmed(std::string_view text) {
    const auto* space = " \t\r\n";
    const auto first = text.find_first_not_of(space);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(space) - first + 1);
}

std::optional<std::int64_t> toInt(std::string_view text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

} // namespace

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

std::string formatCpuMax(const CpuQuota& quota) {
    const std::string limit = quota.quota_us ? std::to_string(*quota.quota_us) : "max";
    return limit + " " + std::to_string(quota.period_us);
}

Result<CpuQuota> parseCpuMax(std::string_view text) {
    text = trimmed(text);
    const auto space = text.find(' ');
    const auto limit = text.substr(0, space);
    CpuQuota quota;
    if (space != std::string_view::npos) {
        const auto period = toInt(trimmed(text.substr(space + 1)));
        if (!period || *period <= 0) {
            return makeError(exitcode::kGeneric,
                             "cpu.max: bad period in '" + std::string(text) + "'");
        }
        quota.period_us = *period;
    }
    if (limit != "max") {
        const auto value = toInt(limit);
        if (!value || *value <= 0) {
            return makeError(exitcode::kGeneric,
                             "cpu.max: bad quota in '" + std::string(text) + "'");
        }
        quota.quota_us = *value;
    }
    return quota;
}

std::string formatCfsQuota(const CpuQuota& quota) {
    return quota.quota_us ? std::to_string(*quota.quota_us) : "-1";
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
