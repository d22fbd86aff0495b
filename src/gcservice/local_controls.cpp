#include "gcservice/local_controls.hpp"

namespace azcm::gcservice {

EvaluationPermission evaluationPermission(const config::LocalConfig& local) {
    if (!local.guest_configuration_enabled) {
        return {false, "GuestConfigurationDisabled",
                "Not evaluated: guestconfiguration.enabled is false on this machine "
                "(azcmagent config set guestconfiguration.enabled true allows evaluation)."};
    }
    if (local.config_mode == "monitor") {
        return {false, "MonitorMode",
                "Not evaluated: the agent is in monitor mode (config.mode monitor), which turns "
                "guest configuration evaluation and remediation off."};
    }
    return {};
}

} // namespace azcm::gcservice
