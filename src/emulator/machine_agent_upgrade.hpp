#pragma once
// properties.agentUpgrade of a machine (docs/emulator.md): the members an ARM caller sets
// (enableAutomaticUpgrade, desiredVersion, correlationId) and the agent's report of its last
// upgrade attempt (lastAttemptStatus, lastAttemptMessage, lastAttemptTimestamp,
// lastAttemptDesiredVersion), which the heartbeat sets and ARM only shows (docs/protocol.md 2.2).
// Both live in the machine's properties JSON under "agentUpgrade", so databases of earlier
// versions need no new column.
#include "common/error.hpp"

#include <nlohmann/json.hpp>

namespace azcm::emulator {

inline constexpr const char* kAgentUpgradeProperty = "agentUpgrade";

enum class AgentUpgradeWrite {
    kMerge,   // PATCH: the members the body names change, the others stay
    kReplace, // PUT: the writable members the body leaves out go back to their defaults
};

// Applies an ARM body's properties.agentUpgrade to the machine's `properties`. Read-only members
// in the body are ignored, as ARM does; a writable member of the wrong type or value is an error
// naming it and leaves `properties` as it was.
Result<void> applyAgentUpgradeRequest(nlohmann::json& properties,
                                      const nlohmann::json& requested,
                                      AgentUpgradeWrite write);

// The heartbeat answer's agentUpgrade: the writable members, defaults filled in.
nlohmann::json agentUpgradeDirective(const nlohmann::json& properties);

// agentUpgrade as ARM shows it: the writable members with their defaults, the lastAttempt*
// members once the agent reported an attempt.
nlohmann::json agentUpgradeView(const nlohmann::json& properties);

// Checks the heartbeat's report of the last attempt and stores it as the read-only members; an
// invalid report is an error naming the member and leaves `properties` as it was.
Result<void> applyAgentUpgradeReport(nlohmann::json& properties, const nlohmann::json& report);

} // namespace azcm::emulator
