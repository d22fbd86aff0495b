#include "common/config/proxy_policy.hpp"

#include "common/http/proxy_url.hpp"
#include "common/platform/child_environment.hpp"

#include <algorithm>
#include <array>

#include <boost/algorithm/string/predicate.hpp>

namespace azcm::config {

namespace {

constexpr std::array<std::pair<TargetService, std::string_view>, 5> kNames = {{
    {TargetService::kEntra, "AAD"},
    {TargetService::kArm, "ARM"},
    {TargetService::kArc, "Arc"},
    {TargetService::kAma, "AMA"},
    {TargetService::kArcData, "ArcData"},
}};

} // namespace

std::string_view bypassName(TargetService service) {
    for (const auto& [candidate, name] : kNames) {
        if (candidate == service) {
            return name;
        }
    }
    return {};
}

std::optional<std::string> canonicalBypassName(std::string_view name) {
    for (const auto& entry : kNames) {
        if (boost::iequals(entry.second, name)) {
            return std::string(entry.second);
        }
    }
    return std::nullopt;
}

ProxyPolicy::ProxyPolicy(const LocalConfig& local, std::optional<std::string> environment_proxy) {
    if (!local.proxy_url.empty()) {
        proxy_url_ = local.proxy_url;
    } else if (environment_proxy && !environment_proxy->empty()) {
        proxy_url_ = std::move(environment_proxy);
    }
    for (const auto& name : local.proxy_bypass) {
        if (auto canonical = canonicalBypassName(name)) {
            bypass_.push_back(std::move(*canonical));
        }
    }
}

std::optional<std::string> ProxyPolicy::proxyFor(TargetService service) const {
    if (!proxy_url_) {
        return std::nullopt;
    }
    const auto name = bypassName(service);
    if (std::find(bypass_.begin(), bypass_.end(), name) != bypass_.end()) {
        return std::nullopt;
    }
    return proxy_url_;
}

std::string ProxyPolicy::describe() const {
    return proxy_url_ ? http::redactProxyUrl(*proxy_url_) : std::string();
}

std::optional<std::string> environmentProxy() {
    auto proxy = platform::environmentVariable("HTTPS_PROXY");
    if (!proxy || proxy->empty()) {
        proxy = platform::environmentVariable("https_proxy");
    }
    if (!proxy || proxy->empty()) {
        return std::nullopt;
    }
    return proxy;
}

} // namespace azcm::config
