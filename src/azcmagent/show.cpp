#include "azcmagent/show.hpp"

#include "azcmagent/responses.hpp"
#include "common/agent_version.hpp"
#include "common/http/proxy_url.hpp"
#include "common/json/json_fields.hpp"
#include "common/platform/service_manager.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdio>

namespace azcm::azcmagent {

using nlohmann::json;

namespace {

constexpr std::size_t kNameWidth = 40;

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string stringAt(const std::optional<json>& object, const char* key) {
    if (object && object->is_object()) {
        if (auto it = object->find(key); it != object->end() && it->is_string()) {
            return it->get<std::string>();
        }
    }
    return {};
}

std::string lastError(const std::optional<json>& status, const char* key) {
    if (status && status->is_object()) {
        if (auto it = status->find("lastError"); it != status->end() && it->is_object()) {
            if (auto field = it->find(key); field != it->end() && field->is_string()) {
                return field->get<std::string>();
            }
        }
    }
    return {};
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) {
            out += ",";
        }
        out += item;
    }
    return out;
}

std::string valueText(const json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_null()) {
        return {};
    }
    return value.dump();
}

} // namespace

std::uint16_t imdsPortOf(const std::optional<nlohmann::json>& himds_status) {
    if (himds_status && himds_status->contains("imds") && (*himds_status)["imds"].is_object()) {
        const auto& imds = (*himds_status)["imds"];
        if (imds.contains("port") && imds["port"].is_number_integer() && imds["port"] > 0 &&
            imds["port"] <= 65535) {
            return imds["port"].get<std::uint16_t>();
        }
    }
    return kDefaultImdsPort;
}

ImdsEndpoints imdsEndpointsFor(const std::optional<nlohmann::json>& himds_status) {
    const std::string base = "http://localhost:" + std::to_string(imdsPortOf(himds_status));
    return {base + "/metadata/identity/oauth2/token", base};
}

namespace {

std::string percentText(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.2f%%", value);
    return buffer;
}

constexpr const char* kCpuStatus = "the CPU status";

// A number of a daemon's status, clamped so that printing it as a whole number stays defined.
Result<double> statusNumber(const json& object, const char* key) {
    constexpr double kLargest = 1e15;
    BOOST_OUTCOME_TRY(member, jsondoc::findMember(object, key, kCpuStatus));
    if (member == nullptr) {
        return 0.0;
    }
    BOOST_OUTCOME_TRY(number, jsondoc::asNumber(*member, jsondoc::fieldName(kCpuStatus, key)));
    return std::clamp(number, 0.0, kLargest);
}

// "5% enforced, used 1.20% over 60 s, throttled 12 ms" or "5% not enforced: <reason>". The status
// comes from another process: a field of the wrong type is reported, not trusted.
Result<std::string> describeComponent(const json& component) {
    std::string cap = "unlimited";
    BOOST_OUTCOME_TRY(percent, jsondoc::getOptionalInteger<long>(component, "capPercent", 0,
                                                                 LONG_MAX, kCpuStatus));
    if (percent) {
        cap = std::to_string(*percent) + "%";
    }
    BOOST_OUTCOME_TRY(enforced, jsondoc::getOptionalBool(component, "enforced", kCpuStatus));
    if (!enforced.value_or(false)) {
        BOOST_OUTCOME_TRY(reason, jsondoc::getOptionalString(component, "reason", kCpuStatus));
        return cap + " not enforced: " + reason.value_or("unknown reason");
    }
    std::string text = cap + " enforced";
    BOOST_OUTCOME_TRY(window, jsondoc::getOptionalObject(component, "window", kCpuStatus));
    if (window != nullptr) {
        BOOST_OUTCOME_TRY(seconds, statusNumber(*window, "seconds"));
        BOOST_OUTCOME_TRY(used, statusNumber(*window, "usedPercent"));
        BOOST_OUTCOME_TRY(throttled, statusNumber(*window, "throttledMs"));
        text += ", used " + percentText(used) + " over " + std::to_string(std::lround(seconds)) +
                " s, throttled " + std::to_string(static_cast<long>(throttled)) + " ms";
    } else {
        text += ", no usage measured yet";
    }
    return text;
}

void addCpuRows(json& rows,
                const std::optional<json>& status,
                const std::string& daemon,
                const std::string& cap_key) {
    if (!status) {
        rows.push_back({{"displayName", daemon},
                        {"status", "not reported (" + daemon + " is not running)"},
                        {"configKey", cap_key}});
        return;
    }
    if (status->empty()) {
        // The daemon runs but refused this user its status (docs/architecture.md).
        rows.push_back(
            {{"displayName", daemon},
             {"status", "not shown (" + daemon + "'s status is for root and group himds)"},
             {"configKey", cap_key}});
        return;
    }
    auto cpu = status->find("cpu");
    if (cpu == status->end() || !cpu->is_array() || cpu->empty()) {
        rows.push_back({{"displayName", daemon},
                        {"status", "not reported by " + daemon},
                        {"configKey", cap_key}});
        return;
    }
    for (const auto& component : *cpu) {
        if (!component.is_object()) {
            continue;
        }
        const auto name = jsondoc::getOptionalString(component, "component", kCpuStatus);
        const auto described = describeComponent(component);
        rows.push_back({{"displayName", name && name.value() ? *name.value() : daemon},
                        {"status", described ? described.value()
                                             : "malformed status: " + described.error().message},
                        {"configKey", cap_key},
                        {"detail", component}});
    }
}

// Whether this machine carries out ARM's automatic upgrade requests, and what ARM asks now.
std::string autoUpgradeStatus(const ShowInput& input) {
    if (!input.local_config.automatic_upgrade_enabled) {
        return "disabled on this machine (agentupgrade.automatic.enabled)";
    }
    if (!input.himds_status) {
        return "";
    }
    const auto request = input.himds_status->value("agentUpgrade", json::object());
    if (!request.is_object() || !request.value("enableAutomaticUpgrade", false)) {
        return "enabled on this machine; not requested by Azure";
    }
    std::string text = "enabled";
    const auto desired = request.value("desiredVersion", std::string());
    if (!desired.empty()) {
        text += ", desired version " + desired;
    }
    const auto id = request.value("correlationId", std::string());
    if (!id.empty()) {
        text += ", id: " + id;
    }
    return text;
}

// "Success 1.0.1001.0 at 2026-12-07T17:00:00Z", with the message of a failure.
std::string lastUpgradeAttempt(const std::optional<json>& status) {
    if (!status) {
        return "";
    }
    const auto request = status->value("agentUpgrade", json::object());
    const auto attempt =
        request.is_object() ? request.value("lastAttempt", json::object()) : json::object();
    if (!attempt.is_object() || attempt.value("status", std::string()).empty()) {
        return "";
    }
    std::string text = attempt.value("status", std::string()) + " " +
                       attempt.value("desiredVersion", std::string()) + " at " +
                       attempt.value("timestamp", std::string());
    const auto message = attempt.value("message", std::string());
    if (!message.empty()) {
        text += ": " + message;
    }
    return text;
}

} // namespace

json cpuLimitRows(const ShowInput& input) {
    json rows = json::array();
    addCpuRows(rows, input.extservice_status, "extservice", "extensions.agent.cpulimit");
    addCpuRows(rows, input.gcservice_status, "gcservice", "guestconfiguration.agent.cpulimit");
    return rows;
}

std::string cloudProviderOf(const platform::MachineFacts& facts) {
    const auto vendor = lower(facts.manufacturer);
    const auto model = lower(facts.model);
    if (vendor.find("amazon") != std::string::npos ||
        model.find("amazon ec2") != std::string::npos) {
        return "AWS";
    }
    if (vendor.find("google") != std::string::npos) {
        return "GCP";
    }
    if (vendor.find("oraclecloud") != std::string::npos) {
        return "OCI";
    }
    return "N/A";
}

std::vector<ShowField> buildShowFields(const ShowInput& input) {
    const auto& config = input.agent_config;
    const auto& status = input.himds_status;
    auto field = [](std::string display, std::string key, json value) {
        return ShowField{std::move(display), std::move(key), std::move(value)};
    };
    auto from_config = [&config](auto member) -> std::string {
        return config ? (*config).*member : std::string();
    };

    std::string agent_status = "Disconnected";
    if (config) {
        const auto reported = stringAt(status, "agentStatus");
        if (reported == "Connected" || reported == "Expired" || reported == "Disconnected") {
            agent_status = reported;
        }
    }
    const std::string resource_id = config ? config->resourceId() : std::string();
    std::string vm_id = from_config(&config::AgentConfig::vm_id);
    if (vm_id.empty() && config) {
        vm_id = stringAt(status, "vmId");
    }

    json services = json::array();
    services.push_back({{"displayName", "Agent Service (himds)"},
                        {"serviceName", platform::installedServiceName("himds")},
                        {"status", status ? "running" : "stopped"}});
    services.push_back({{"displayName", "Azure Arc Proxy (arcproxy)"},
                        {"serviceName", platform::installedServiceName("arcproxy")},
                        {"status", input.arcproxy_status ? "running" : "stopped"}});
    services.push_back({{"displayName", "Extension Service (extensionservice)"},
                        {"serviceName", platform::installedServiceName("extservice")},
                        {"status", input.extservice_status ? "running" : "stopped"}});
    services.push_back({{"displayName", "GC Service (gcarcservice)"},
                        {"serviceName", platform::installedServiceName("gcservice")},
                        {"status", input.gcservice_status ? "running" : "stopped"}});

    std::vector<ShowField> fields;
    fields.push_back(
        field("Resource Name", "resourceName", from_config(&config::AgentConfig::resource_name)));
    fields.push_back(field("Resource Group Name", "resourceGroup",
                           from_config(&config::AgentConfig::resource_group)));
    fields.push_back(
        field("Resource Namespace", "resourceNamespace", config ? "Microsoft.HybridCompute" : ""));
    fields.push_back(field("Resource Id", "resourceId", resource_id));
    fields.push_back(field("Subscription ID", "subscriptionId",
                           from_config(&config::AgentConfig::subscription_id)));
    fields.push_back(field("Tenant ID", "tenantId", from_config(&config::AgentConfig::tenant_id)));
    fields.push_back(field("VM ID", "vmId", vm_id));
    fields.push_back(field("Correlation ID", "correlationId",
                           from_config(&config::AgentConfig::correlation_id)));
    fields.push_back(field("VM UUID", "vmUuid", input.facts.vm_uuid));
    fields.push_back(field("Location", "location", from_config(&config::AgentConfig::location)));
    fields.push_back(field("Cloud", "cloud", config ? config->cloud.name : ""));
    fields.push_back(field("Agent Version", "agentVersion", azcm::agentVersion()));
    fields.push_back(field("Agent Logfile", "agentLogfile", input.agent_logfile));
    fields.push_back(field("Agent Status", "status", agent_status));
    fields.push_back(field("Agent Last Heartbeat", "lastHeartbeat",
                           config ? stringAt(status, "lastHeartbeat") : ""));
    fields.push_back(field("Agent Error Code", "agentErrorCode", lastError(status, "code")));
    fields.push_back(
        field("Agent Error Details", "agentErrorDetails", lastError(status, "message")));
    fields.push_back(
        field("Agent Error Timestamp", "agentErrorTimestamp", lastError(status, "time")));
    fields.push_back(field("Using HTTPS Proxy", "httpsProxy",
                           http::redactProxyUrl(input.local_config.proxy_url)));
    fields.push_back(
        field("Proxy Bypass List", "proxyBypassList", joined(input.local_config.proxy_bypass)));
    fields.push_back(field("Cloud Provider", "cloudProvider", cloudProviderOf(input.facts)));
    fields.push_back(field("Manufacturer", "manufacturer", input.facts.manufacturer));
    fields.push_back(field("Model", "model", input.facts.model));
    if (input.include_os) {
        fields.push_back(field("OS Name", "osName", input.facts.os_name));
        fields.push_back(field("OS Version", "osVersion", input.facts.os_version));
        fields.push_back(field("OS Type", "osType", input.facts.os_type));
        fields.push_back(field("OS Sku", "osSku", input.facts.os_sku));
        fields.push_back(field("Host Name", "hostName", input.facts.host_name));
        fields.push_back(field("FQDN", "fqdn", input.facts.fqdn));
    }
    const auto endpoints = imdsEndpointsFor(status);
    fields.push_back(field("Identity Endpoint", "identityEndpoint", endpoints.identity));
    fields.push_back(field("IMDS Endpoint", "imdsEndpoint", endpoints.imds));
    fields.push_back(field("Dependent Service Status", "services", services));
    fields.push_back(field("CPU Limits", "cpuLimits", cpuLimitRows(input)));
    fields.push_back(field("Portal Page", "portalPage",
                           config ? portalPage(config->tenant_id, resource_id) : ""));
    fields.push_back(
        field("Agent Auto Upgrade Task Status", "autoUpgradeTaskStatus", autoUpgradeStatus(input)));
    fields.push_back(
        field("Agent Last Upgrade Attempt", "lastUpgradeAttempt", lastUpgradeAttempt(status)));
    return fields;
}

Result<std::vector<ShowField>> selectShowFields(const std::vector<ShowField>& fields,
                                                const std::vector<std::string>& properties) {
    if (properties.empty()) {
        return fields;
    }
    std::vector<ShowField> selected;
    for (const auto& property : properties) {
        const auto wanted = lower(property);
        auto it = std::find_if(fields.begin(), fields.end(), [&wanted](const ShowField& f) {
            return lower(f.key) == wanted || lower(f.display_name) == wanted;
        });
        if (it == fields.end()) {
            std::string known;
            for (const auto& f : fields) {
                known += known.empty() ? f.key : ", " + f.key;
            }
            std::string message = "unknown property '";
            message += property;
            message += "'; known properties: ";
            message += known;
            return makeError(exitcode::kInvalidArgument, std::move(message));
        }
        selected.push_back(*it);
    }
    return selected;
}

std::string formatShowText(const std::vector<ShowField>& fields) {
    std::string out;
    auto line = [&out](std::string_view indent, const std::string& name, const std::string& value) {
        std::string label = std::string(indent) + name;
        if (label.size() < kNameWidth) {
            label.append(kNameWidth - label.size(), ' ');
        } else {
            label += ' ';
        }
        out += label + ": " + value + "\n";
    };
    for (const auto& f : fields) {
        if (f.value.is_array()) {
            out += f.display_name + "\n";
            for (const auto& service : f.value) {
                line("  ", valueText(service.value("displayName", json())),
                     valueText(service.value("status", json())));
            }
            continue;
        }
        line("", f.display_name, valueText(f.value));
    }
    return out;
}

json formatShowJson(const std::vector<ShowField>& fields) {
    json out = json::object();
    for (const auto& f : fields) {
        out[f.key] = f.value;
    }
    return out;
}

} // namespace azcm::azcmagent
