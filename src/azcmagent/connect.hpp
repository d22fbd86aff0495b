#pragma once
// `azcmagent connect` (docs/cli.md; wire formats in docs/protocol.md sections 1 and 2.1).
#include "azcmagent/console.hpp"
#include "azcmagent/credentials.hpp"
#include "azcmagent/environment.hpp"
#include "common/config/agent_config.hpp"
#include "common/error.hpp"

#include <string>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

struct ConnectOptions {
    CredentialOptions credential;
    std::string subscription_id;
    std::string resource_group;
    std::string location;
    std::string resource_name;
    std::string tags;
    std::string correlation_id;
    std::string cloud = "AzureCloud";
    std::string cloud_config;
    std::string private_link_scope;
    bool ignore_network_check = false;
    bool enable_automatic_upgrade = false;
};

struct ConnectPlan {
    config::AgentConfig config; // everything but vm_id, which ARM assigns
    Credential credential;
};

// Every input check, before anything is touched: first the flags alone (AZCM0016, AZCM0023), then
// root (AZCM0018), then the files they name (cloud config AZCM0075, certificate) and the
// defaults a cloud config gives.
Result<ConnectPlan> planConnect(const ConnectOptions& options, const Environment& env);

// The whole command; the JSON summary on success.
Result<nlohmann::json>
runConnect(const ConnectOptions& options, const Environment& env, const Console& console);

} // namespace azcm::azcmagent
