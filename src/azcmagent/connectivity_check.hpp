#pragma once
// The pure parts of `azcmagent check` (docs/cli.md): which endpoints a cloud needs, how a
// probe result is judged, the clock skew against the control plane, and the text and JSON output.
// check_command.cpp does the I/O around them.
#include "common/config/cloud_config.hpp"
#include "common/config/proxy_policy.hpp"
#include "common/error.hpp"
#include "common/http/tls_probe.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

struct CheckEndpoint {
    std::string service;  // "Entra ID", "Azure Resource Manager", ...
    std::string endpoint; // the base URL shown, e.g. https://management.azure.com
    std::string url;      // the URL probed (any HTTP answer proves reachability)
    config::TargetService target = config::TargetService::kArc; // decides proxy bypass
    bool required = true;
    bool arc = false;          // an Arc service endpoint: must be private with --enable-pls-check
    bool clock_source = false; // its Date header is compared with the local clock
};

struct EndpointPlanInput {
    config::CloudConfig cloud;
    bool builtin_cloud = true;  // AzureCloud, AzureUSGovernment, AzureChinaCloud
    std::string location;       // normalised region, may be empty
    bool sql_extension = false; // --extensions sql|all
    bool include_all = false;   // --include-all
};

// The endpoints to check, in display order. The cloud's four endpoints are required; for the
// built-in clouds also Entra's PAS endpoint and, with a location, the regional identity and guest
// configuration endpoints. Extension and extended-scenario endpoints are optional.
std::vector<CheckEndpoint> planEndpoints(const EndpointPlanInput& input);

struct ClockSkew {
    std::string source;                       // the endpoint whose Date header was used
    std::optional<std::chrono::seconds> skew; // local minus server: positive = local clock ahead
    std::string reason;                       // why the skew is unknown
    bool exceeds_limit = false;
};

inline constexpr std::chrono::seconds kMaxClockSkew{300};

// An HTTP-date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"); nothing when malformed.
std::optional<std::chrono::system_clock::time_point> parseHttpDate(const std::string& text);
// Local time at the answer minus the server's Date; flagged beyond kMaxClockSkew either way.
ClockSkew computeSkew(const std::string& source,
                      const std::optional<std::string>& date_header,
                      std::chrono::system_clock::time_point local_time);

struct EndpointReport {
    CheckEndpoint endpoint;
    http::TlsProbeResult probe;
    std::optional<bool> is_private;   // nothing when the host did not resolve here
    std::optional<std::string> proxy; // redacted proxy URL when the call went through one
    std::optional<int> days_until_expiry;
    bool passed = false;
    std::string failure; // why it did not pass
};

// Judges one probe: passed when an HTTP answer came over a verified TLS connection and, when
// `require_private` applies to an Arc endpoint, its host resolved only to private addresses.
EndpointReport judgeEndpoint(const CheckEndpoint& endpoint,
                             const http::TlsProbeResult& probe,
                             const std::optional<std::string>& proxy,
                             bool require_private,
                             std::chrono::system_clock::time_point now);

struct CheckReport {
    std::string cloud;
    std::string location;
    std::string proxy; // the proxy in force before bypass, redacted; empty when none
    bool pls_check = false;
    std::vector<EndpointReport> endpoints;
    ClockSkew clock;

    std::vector<const EndpointReport*> failedRequired() const;
};

// The skew from the first clock-source endpoint that answered.
ClockSkew skewOf(const std::vector<EndpointReport>& endpoints);

nlohmann::json toJson(const CheckReport& report);
// The table the real agent prints (ENDPOINT | REACHABLE | PRIVATE | TLS | PROXY, plus CERTIFICATE
// and SERVICE), then the proxy and clock-skew lines.
std::vector<std::string> formatText(const CheckReport& report);
// Success, or AZCM0026 (network error) naming each required endpoint that failed.
Result<void> checkOutcome(const CheckReport& report);

} // namespace azcm::azcmagent
