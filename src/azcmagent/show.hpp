#pragma once
// `azcmagent show` (docs/cli.md): the agent's state from agentconfig.json, himds' GET /status,
// localconfig.json and the machine's own facts, as aligned text or camelCase JSON.
#include "common/config/agent_config.hpp"
#include "common/config/local_config.hpp"
#include "common/error.hpp"
#include "common/platform/machine_facts.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

struct ShowInput {
    std::optional<config::AgentConfig> agent_config; // nullopt: not connected
    std::optional<nlohmann::json> himds_status;      // nullopt: himds not reachable
    std::optional<nlohmann::json> arcproxy_status;   // nullopt: arcproxy not reachable
    std::optional<nlohmann::json> extservice_status; // nullopt: extservice not reachable
    std::optional<nlohmann::json> gcservice_status;  // nullopt: gcservice not reachable
    config::LocalConfig local_config;
    platform::MachineFacts facts;
    std::string agent_logfile;
    bool include_os = false; // --os
};

struct ShowField {
    std::string display_name; // "Resource Name"
    std::string key;          // "resourceName"
    nlohmann::json value;     // string, or an array of {displayName, status} rows
};

// Every field, in the real agent's order.
std::vector<ShowField> buildShowFields(const ShowInput& input);
// The fields named by `properties` (JSON key or display name, case-insensitive), in the order
// asked; an unknown name: kInvalidArgument listing the valid ones. Empty: all fields.
Result<std::vector<ShowField>> selectShowFields(const std::vector<ShowField>& fields,
                                                const std::vector<std::string>& properties);
// `Name<padding>: value` lines; the services as an indented block.
std::string formatShowText(const std::vector<ShowField>& fields);
nlohmann::json formatShowJson(const std::vector<ShowField>& fields);

inline constexpr std::uint16_t kDefaultImdsPort = 40342;

// IDENTITY_ENDPOINT and IMDS_ENDPOINT as the agent documents them (docs/imds.md), on the port
// himds reports (40342 unless a sandbox moved it).
struct ImdsEndpoints {
    std::string identity; // http://localhost:40342/metadata/identity/oauth2/token
    std::string imds;     // http://localhost:40342
};
ImdsEndpoints imdsEndpointsFor(const std::optional<nlohmann::json>& himds_status);
// The port of the IMDS API himds reports; 40342 when it reports none.
std::uint16_t imdsPortOf(const std::optional<nlohmann::json>& himds_status);

// One row per capped component (docs/resource-limits.md) from the `cpu` array of the capped
// daemons' GET /status: {displayName, status: "5% enforced, used 1.2% over 60 s, throttled 0 ms"},
// plus the component object itself under "detail" for --json.
nlohmann::json cpuLimitRows(const ShowInput& input);

// "AWS", "GCP", "OCI", "Azure" or "N/A" from DMI vendor and product.
std::string cloudProviderOf(const platform::MachineFacts& facts);

} // namespace azcm::azcmagent
