#pragma once
// The body of POST {identity}/machines/heartbeat (docs/protocol.md 2.2).
#include "common/config/local_config.hpp"
#include "common/platform/machine_facts.hpp"
#include "himds/agent_upgrade_state.hpp"

#include <optional>

#include <nlohmann/json.hpp>

namespace azcm::himds {

// The local configuration in force, in the shape ARM shows as properties.agentConfiguration.
nlohmann::json agentConfigurationJson(const config::LocalConfig& local);

// `upgrade_attempt`: the last agent upgrade attempt, reported until another replaces it.
nlohmann::json heartbeatBody(const platform::MachineFacts& facts,
                             const config::LocalConfig& local,
                             const std::optional<AgentUpgradeAttempt>& upgrade_attempt);

} // namespace azcm::himds
