#pragma once
// The machine administrator's say over guest configuration: evaluation and
// remediation stop when `guestconfiguration.enabled` is false or the agent is in monitor mode
// (`config.mode monitor`). The reason is reported to the control plane, naming the setting.
#include "common/config/local_config.hpp"

#include <string>

namespace azcm::gcservice {

struct EvaluationPermission {
    bool allowed = true;
    std::string code;   // GuestConfigurationDisabled | MonitorMode
    std::string reason; // human, names the setting and how to change it
};

EvaluationPermission evaluationPermission(const config::LocalConfig& local);

} // namespace azcm::gcservice
