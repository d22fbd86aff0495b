#pragma once
// gcservice's timing and limits: the real agent's defaults, shortened by tests
// through the environment.
#include "common/daemon/environment_options.hpp"
#include "common/error.hpp"
#include "common/http/long_poll_limits.hpp"
#include "common/ipc/control_access.hpp"
#include "common/platform/local_peer.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <string>

namespace azcm::gcservice {

struct GcOptions {
    // New and changed assignments are picked up this often (AZCM_GC_POLL_SECONDS).
    std::chrono::seconds poll_interval{300};
    // Each assignment is evaluated this often (AZCM_GC_EVALUATION_SECONDS).
    std::chrono::seconds evaluation_interval{900};
    // Assignments are dropped after this long without a successful goal state
    // (AZCM_GC_RETENTION_SECONDS; 14 days, as in Azure).
    std::chrono::seconds retention{std::chrono::hours(24 * 14)};
    // A failed report or goal state is retried after this (AZCM_GC_RETRY_SECONDS).
    std::chrono::seconds retry_interval{30};
    // Timeout of one command resource script (AZCM_GC_COMMAND_TIMEOUT_SECONDS).
    std::chrono::seconds command_timeout{60};
    // How long the control plane may hold an assignments request open
    // (AZCM_GC_LONGPOLL_SECONDS, default 230, 0-300; 0 turns long-polling off and polls every
    // poll_interval).
    std::chrono::seconds long_poll_wait = http::kDefaultLongPollWait;
    // Who may use which control route (ipc/control_access.hpp): uid 0 and the daemon's own euid
    // are privileged; the reader group may read status. Defaults to the daemon's own account alone.
    ipc::ControlAccessPolicy access = platform::ownAccountPolicy();
    // POST /shutdown: the daemon's shutdown path (the same as SIGTERM).
    std::function<void()> request_shutdown;
};

// Reads the variables above; a value that is not a whole number of seconds in range is an error
// (exit code 23) naming the variable.
Result<GcOptions> parseGcOptions(const daemon::EnvironmentOptions& environment);
Result<GcOptions> gcOptionsFromEnvironment();

} // namespace azcm::gcservice
