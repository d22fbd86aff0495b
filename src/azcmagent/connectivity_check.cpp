#include "azcmagent/connectivity_check.hpp"

#include "azcmagent/address_class.hpp"
#include "common/http/url.hpp"
#include "common/utc_time.hpp"

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <locale>
#include <sstream>

namespace azcm::azcmagent {

using nlohmann::json;

namespace {

constexpr const char* kEntra = "Entra ID";
constexpr const char* kArm = "Azure Resource Manager";
constexpr const char* kIdentity = "Hybrid identity service";
constexpr const char* kGuestConfiguration = "Guest configuration";

// Entra's PAS endpoint of each built-in cloud.
std::string pasEndpoint(const std::string& cloud) {
    if (cloud == "AzureUSGovernment") {
        return "https://pasff.usgovcloudapi.net";
    }
    if (cloud == "AzureChinaCloud") {
        return "https://pas.chinacloudapi.cn";
    }
    return "https://pas.windows.net";
}

// "https://gbl.his.arc.azure.com" -> "https://<region>.his.arc.azure.com" (prefix "gbl.",
// separator "."); "https://agentserviceapi.guestconfiguration.azure.com" ->
// "https://<region>-gas.guestconfiguration.azure.com". Empty when the host has another shape.
std::string regionalEndpoint(const std::string& global,
                             const std::string& prefix,
                             const std::string& regional_prefix) {
    auto url = http::parseUrl(global);
    if (!url || url.value().host.rfind(prefix, 0) != 0) {
        return {};
    }
    return "https://" + regional_prefix + url.value().host.substr(prefix.size());
}

CheckEndpoint makeEndpoint(std::string service,
                           std::string endpoint,
                           config::TargetService target,
                           bool required,
                           bool arc) {
    CheckEndpoint result;
    result.service = std::move(service);
    result.url = endpoint;
    result.endpoint = std::move(endpoint);
    result.target = target;
    result.required = required;
    result.arc = arc;
    return result;
}

std::string isoTime(std::chrono::system_clock::time_point time) {
    return rfc3339Seconds(time);
}

json optionalBool(const std::optional<bool>& value) {
    return value ? json(*value) : json(nullptr);
}

std::string boolText(const std::optional<bool>& value) {
    return value ? (*value ? "true" : "false") : "unknown";
}

std::string certificateText(const EndpointReport& report) {
    if (report.probe.tls_established) {
        return report.days_until_expiry
                   ? "valid, " + std::to_string(*report.days_until_expiry) + " days left"
                   : "valid";
    }
    if (!report.probe.verify_error.empty()) {
        return "invalid";
    }
    return "unknown";
}

std::string describeSkew(std::chrono::seconds skew) {
    const auto magnitude = skew.count() < 0 ? -skew.count() : skew.count();
    std::string amount = magnitude >= 120 ? std::to_string(magnitude / 60) + " min"
                                          : std::to_string(magnitude) + " s";
    if (magnitude == 0) {
        return "in step with";
    }
    return amount + (skew.count() > 0 ? " ahead of" : " behind");
}

} // namespace

std::vector<CheckEndpoint> planEndpoints(const EndpointPlanInput& input) {
    const auto& endpoints = input.cloud.endpoints;
    std::vector<CheckEndpoint> plan;

    auto entra = makeEndpoint(kEntra, endpoints.entra, config::TargetService::kEntra, true, false);
    const std::string tenant = input.cloud.tenant_id.empty() ? "common" : input.cloud.tenant_id;
    entra.url = endpoints.entra + "/" + tenant + "/v2.0/.well-known/openid-configuration";
    entra.clock_source = true;
    plan.push_back(std::move(entra));

    auto arm = makeEndpoint(kArm, endpoints.arm, config::TargetService::kArm, true, false);
    arm.clock_source = true;
    plan.push_back(std::move(arm));

    if (input.builtin_cloud) {
        plan.push_back(makeEndpoint("Entra ID (PAS)", pasEndpoint(input.cloud.name),
                                    config::TargetService::kEntra, true, false));
    }
    plan.push_back(
        makeEndpoint(kIdentity, endpoints.identity, config::TargetService::kArc, true, true));
    plan.push_back(makeEndpoint(kGuestConfiguration, endpoints.guest_configuration,
                                config::TargetService::kArc, true, true));

    if (input.builtin_cloud && !input.location.empty()) {
        if (auto regional = regionalEndpoint(endpoints.identity, "gbl.", input.location + ".");
            !regional.empty()) {
            plan.push_back(makeEndpoint(kIdentity + std::string(" (regional)"), regional,
                                        config::TargetService::kArc, true, true));
        }
        if (auto regional = regionalEndpoint(endpoints.guest_configuration, "agentserviceapi.",
                                             input.location + "-gas.");
            !regional.empty()) {
            plan.push_back(makeEndpoint(kGuestConfiguration + std::string(" (regional)"), regional,
                                        config::TargetService::kArc, true, true));
        }
    }
    const bool public_cloud = input.builtin_cloud && input.cloud.name == "AzureCloud";
    if (public_cloud && input.sql_extension && !input.location.empty()) {
        plan.push_back(makeEndpoint("SQL Server extension (Arc data services)",
                                    "https://telemetry." + input.location + ".arcdataservices.com",
                                    config::TargetService::kArcData, false, false));
    }
    if (public_cloud && input.include_all) {
        plan.push_back(makeEndpoint("License validation (hotpatch, pay-as-you-go)",
                                    "https://dls.microsoft.com", config::TargetService::kArc, false,
                                    false));
    }
    return plan;
}

std::optional<std::chrono::system_clock::time_point> parseHttpDate(const std::string& text) {
    std::istringstream in(text);
    in.imbue(std::locale::classic());
    std::tm tm{};
    in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
    if (in.fail()) {
        return std::nullopt;
    }
    in >> std::ws;
    if (!in.eof()) {
        return std::nullopt;
    }
    return std::chrono::system_clock::time_point(std::chrono::seconds(unixSecondsOfUtc(tm)));
}

ClockSkew computeSkew(const std::string& source,
                      const std::optional<std::string>& date_header,
                      std::chrono::system_clock::time_point local_time) {
    ClockSkew result;
    result.source = source;
    if (!date_header) {
        result.reason = "no Date header in the answer of " + source;
        return result;
    }
    const auto server_time = parseHttpDate(*date_header);
    if (!server_time) {
        result.reason = "unreadable Date header '" + *date_header + "' from " + source;
        return result;
    }
    // The Date header has a resolution of one second: drop the local fraction to compare.
    const auto skew = std::chrono::floor<std::chrono::seconds>(local_time) -
                      std::chrono::floor<std::chrono::seconds>(*server_time);
    result.skew = skew;
    result.exceeds_limit = skew > kMaxClockSkew || skew < -kMaxClockSkew;
    return result;
}

EndpointReport judgeEndpoint(const CheckEndpoint& endpoint,
                             const http::TlsProbeResult& probe,
                             const std::optional<std::string>& proxy,
                             bool require_private,
                             std::chrono::system_clock::time_point now) {
    EndpointReport report;
    report.endpoint = endpoint;
    report.probe = probe;
    report.proxy = proxy;
    report.is_private = allPrivate(probe.addresses);
    if (probe.certificate_not_after) {
        report.days_until_expiry = static_cast<int>(
            std::chrono::floor<std::chrono::days>(*probe.certificate_not_after - now).count());
    }
    if (!probe.reachable() || !probe.tls_established) {
        report.failure = probe.error.empty() ? "no verified HTTPS answer" : probe.error;
    } else if (require_private && endpoint.arc && report.is_private != true) {
        report.failure = report.is_private == false
                             ? "resolves to a public address; a private endpoint was expected "
                               "(--enable-pls-check)"
                             : "does not resolve on this machine, so its address cannot be "
                               "checked (--enable-pls-check)";
    } else {
        report.passed = true;
    }
    return report;
}

std::vector<const EndpointReport*> CheckReport::failedRequired() const {
    std::vector<const EndpointReport*> failed;
    for (const auto& report : endpoints) {
        if (report.endpoint.required && !report.passed) {
            failed.push_back(&report);
        }
    }
    return failed;
}

ClockSkew skewOf(const std::vector<EndpointReport>& endpoints) {
    for (const auto& report : endpoints) {
        if (report.endpoint.clock_source && report.probe.reachable()) {
            return computeSkew(report.endpoint.endpoint, report.probe.date_header,
                               report.probe.answered_at);
        }
    }
    ClockSkew unknown;
    unknown.reason = "no control-plane endpoint answered";
    return unknown;
}

json toJson(const CheckReport& report) {
    json endpoints = json::array();
    for (const auto& entry : report.endpoints) {
        const auto& probe = entry.probe;
        json certificate{{"verified", probe.tls_established}};
        if (probe.certificate_not_after) {
            certificate["notAfter"] = isoTime(*probe.certificate_not_after);
        }
        certificate["daysUntilExpiry"] =
            entry.days_until_expiry ? json(*entry.days_until_expiry) : json(nullptr);
        if (!probe.verify_error.empty()) {
            certificate["error"] = probe.verify_error;
        }
        json item{
            {"endpoint", entry.endpoint.endpoint},
            {"url", entry.endpoint.url},
            {"service", entry.endpoint.service},
            {"proxyBypassName", std::string(config::bypassName(entry.endpoint.target))},
            {"required", entry.endpoint.required},
            {"reachable", probe.reachable()},
            {"httpStatus", probe.http_status ? json(*probe.http_status) : json(nullptr)},
            {"addresses", probe.addresses},
            {"private", optionalBool(entry.is_private)},
            {"tlsVersion", probe.tls_version.empty() ? json(nullptr) : json(probe.tls_version)},
            {"cipher", probe.cipher.empty() ? json(nullptr) : json(probe.cipher)},
            {"certificate", certificate},
            {"proxyUsed", entry.proxy.has_value()},
            {"proxy", entry.proxy ? json(*entry.proxy) : json(nullptr)},
            {"elapsedMs", probe.elapsed.count()},
            {"passed", entry.passed},
        };
        if (!entry.passed) {
            item["error"] = entry.failure;
        }
        endpoints.push_back(std::move(item));
    }
    json clock{
        {"source", report.clock.source.empty() ? json(nullptr) : json(report.clock.source)},
        {"skewSeconds", report.clock.skew ? json(report.clock.skew->count()) : json(nullptr)},
        {"limitSeconds", kMaxClockSkew.count()},
        {"exceedsLimit", report.clock.exceeds_limit}};
    if (!report.clock.skew) {
        clock["reason"] = report.clock.reason;
    }
    json failed = json::array();
    for (const auto* entry : report.failedRequired()) {
        failed.push_back(entry->endpoint.endpoint);
    }
    return json{{"cloud", report.cloud},
                {"location", report.location.empty() ? json(nullptr) : json(report.location)},
                {"proxy", report.proxy.empty() ? json(nullptr) : json(report.proxy)},
                {"privateLinkCheck", report.pls_check},
                {"endpoints", std::move(endpoints)},
                {"clockSkew", std::move(clock)},
                {"success", failed.empty()},
                {"failedEndpoints", std::move(failed)}};
}

std::vector<std::string> formatText(const CheckReport& report) {
    std::vector<std::vector<std::string>> rows{
        {"ENDPOINT", "REACHABLE", "PRIVATE", "TLS", "PROXY", "CERTIFICATE", "SERVICE"}};
    for (const auto& entry : report.endpoints) {
        rows.push_back({entry.endpoint.endpoint, entry.probe.reachable() ? "true" : "false",
                        boolText(entry.is_private),
                        entry.probe.tls_version.empty() ? "unknown" : entry.probe.tls_version,
                        entry.proxy ? "set" : "unset", certificateText(entry),
                        entry.endpoint.service + (entry.endpoint.required ? "" : " (optional)")});
    }
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    std::vector<std::string> lines;
    lines.push_back("Cloud: " + report.cloud +
                    (report.location.empty() ? std::string() : ", location: " + report.location));
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) {
                line += std::string(widths[i] - row[i].size() + 2, ' ');
            }
        }
        lines.push_back(std::move(line));
    }
    lines.push_back("Proxy: " + (report.proxy.empty() ? std::string("none") : report.proxy));
    for (const auto& entry : report.endpoints) {
        if (!entry.passed) {
            lines.push_back(
                std::string(entry.endpoint.required ? "FAILED " : "FAILED (optional) ") +
                entry.endpoint.endpoint + " (" + entry.endpoint.service + "): " + entry.failure);
        }
    }
    if (report.clock.skew) {
        lines.push_back("Clock skew: the local clock is " + describeSkew(*report.clock.skew) + " " +
                        report.clock.source +
                        (report.clock.exceeds_limit
                             ? ": more than 5 minutes, tokens and certificates will be refused"
                             : " (within 5 minutes)"));
    } else {
        lines.push_back("Clock skew: unknown (" + report.clock.reason + ")");
    }
    return lines;
}

Result<void> checkOutcome(const CheckReport& report) {
    const auto failed = report.failedRequired();
    if (failed.empty()) {
        return ok();
    }
    std::string message = "required endpoints failed the connectivity check: ";
    for (std::size_t i = 0; i < failed.size(); ++i) {
        message += (i == 0 ? "" : "; ") + failed[i]->endpoint.endpoint + " (" +
                   failed[i]->endpoint.service + "): " + failed[i]->failure;
    }
    return makeError(exitcode::kNetwork, message);
}

} // namespace azcm::azcmagent
