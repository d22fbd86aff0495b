// The quota files of cgroup v2 (cpu.max) and v1 (cpu.cfs_quota_us), written and read back.
#include "common/platform/linux/cgroup_layout.hpp"

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

} // namespace azcm::platform
