#pragma once
// What extservice takes from its environment. Production sets none of these; tests shorten the
// intervals so a whole install/upgrade/remove cycle runs in seconds.
#include "common/daemon/environment_options.hpp"
#include "common/error.hpp"
#include "common/http/long_poll_limits.hpp"
#include "common/ipc/control_access.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace azcm::extservice {

struct ExtOptions {
    // Fallback polling period after errors, and the pause while not connected
    // (AZCM_EXT_POLL_SECONDS, default 300).
    std::chrono::seconds poll_interval{300};
    // How long the control plane may hold a goal-state request open (AZCM_EXT_LONGPOLL_SECONDS,
    // default 230, at most 300; 0 turns long-polling off and polls every poll_interval).
    std::chrono::seconds long_poll_wait = http::kDefaultLongPollWait;
    // First retry after a failed goal-state call; doubles per failure up to poll_interval.
    std::chrono::seconds retry_initial{1};
    // Largest package accepted (AZCM_EXT_MAX_PACKAGE_BYTES, default 2 GiB as the real agent 1.65).
    std::uint64_t max_package_bytes = 2ULL << 30;
    // HTTPS_PROXY of the environment at start, used when localconfig has no proxy.url.
    std::optional<std::string> environment_proxy;
    // Who may use which control route (ipc/control_access.hpp): uid 0 and the daemon's own
    // euid are privileged; the reader group may read status and the extension list.
    ipc::ControlAccessPolicy access;
};

// Reads the variables above; a malformed value is an error naming the variable.
Result<ExtOptions> optionsFromEnvironment(const daemon::EnvironmentOptions& environment = {});

} // namespace azcm::extservice
