#pragma once
// The himds control-socket routes azcmagent uses (docs/protocol.md 1).
#include "azcmagent/environment.hpp"
#include "azcmagent/responses.hpp"
#include "common/error.hpp"

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

// An unreachable socket is AZCM0064 with a message that says so.
Result<HimdsKeys> himdsGenerateKeys(const Environment& env, const std::string& common_name);
Result<void> himdsActivate(const Environment& env, const std::string& certificate_pem);
Result<void> himdsDeactivate(const Environment& env);
// POST /agentupgrade/result: the outcome of an agent upgrade ("Success" or "Failed", a message
// for a failure, the version that was installed, ARM's correlationId when ARM asked for it),
// which himds reports to ARM.
Result<void> himdsReportUpgrade(const Environment& env,
                                const std::string& status,
                                const std::string& message,
                                const std::string& version,
                                const std::string& correlation_id);
// GET /status; nullopt when himds does not answer (show never fails for that).
std::optional<nlohmann::json> himdsStatus(const Environment& env);
// GET /status of another daemon ("arcproxy", "extservice", "gcservice") over its socket; nullopt
// when it does not answer (not installed or stopped); an empty object when it refuses this user
// (it runs, but its details are for root and the reader group).
std::optional<nlohmann::json> daemonStatus(const Environment& env, const std::string& daemon);

} // namespace azcm::azcmagent
