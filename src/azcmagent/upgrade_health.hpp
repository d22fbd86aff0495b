#pragma once
// The health check after an agent install (docs/upgrade.md, "Health check and rollback"): the
// agent is healthy when himds answers with the installed version, the control plane accepted a
// heartbeat sent after the install began, himds obtains a managed-identity token, and every
// daemon that answered before the install answers again. Until then, or until the deadline, the
// check repeats once a second.
#include "azcmagent/environment.hpp"
#include "common/agent_version.hpp"
#include "common/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace azcm::azcmagent {

struct HealthCheck {
    // The version himds must report; nullopt where an install does not replace the running
    // binaries (the sandbox installer).
    std::optional<AgentVersion> version;
    // A heartbeat the control plane accepted at or after this time (whole seconds).
    std::chrono::system_clock::time_point since;
    // Daemons besides himds that must answer GET /status on their control sockets.
    std::vector<std::string> daemons;
    std::chrono::seconds deadline{120};
};

// The daemons besides himds that answer now: what an install must leave answering.
std::vector<std::string> answeringDaemons(const Environment& env);

// The deadline of the check: 120 s, or AZCM_UPGRADE_HEALTH_SECONDS (1-3600) of root's environment
// (a slow machine, a test that wants a failure sooner).
std::chrono::seconds healthCheckDeadline(const Environment& env);

// Ok once every check passes; after the deadline an error naming the first check still failing
// ("health check failed: gcservice does not answer its control socket").
Result<void> waitUntilHealthy(const Environment& env, const HealthCheck& check);

} // namespace azcm::azcmagent
