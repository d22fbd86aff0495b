#pragma once
// Which proxy an outbound call uses (`proxy.url` and `proxy.bypass`, docs/config.md): the
// agent-specific `proxy.url`, else HTTPS_PROXY of the environment; bypassed per call by the
// service the call targets, never by host name, so services sharing a host still obey their own
// setting.
#include "common/config/local_config.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace azcm::config {

enum class TargetService {
    kEntra,   // bypass name AAD: Entra ID sign-in
    kArm,     // ARM: management.azure.com
    kArc,     // Arc: hybrid identity service, guest configuration, extension downloads
    kAma,     // AMA: Azure Monitor agent traffic
    kArcData, // ArcData: Arc data services (SQL extension)
};

// The bypass name of a service: "AAD", "ARM", "Arc", "AMA", "ArcData".
std::string_view bypassName(TargetService service);
// The canonical name for a case-insensitive one ("arm" -> "ARM"), nothing when unknown.
std::optional<std::string> canonicalBypassName(std::string_view name);

class ProxyPolicy {
public:
    ProxyPolicy() = default;
    ProxyPolicy(const LocalConfig& local, std::optional<std::string> environment_proxy);

    // The proxy URL for a call to `service`, or nothing for a direct connection.
    std::optional<std::string> proxyFor(TargetService service) const;
    // The proxy in force before bypass ("" when none), credentials redacted: for logs and show.
    std::string describe() const;

private:
    std::optional<std::string> proxy_url_;
    std::vector<std::string> bypass_; // canonical names
};

// HTTPS_PROXY, else https_proxy, of the process environment (read once at start-up).
std::optional<std::string> environmentProxy();

} // namespace azcm::config
