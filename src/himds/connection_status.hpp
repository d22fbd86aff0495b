#pragma once
// What `GET /status` reports about the connection: agentStatus, last heartbeat, last error. Owned
// by the io_context thread; the transitions are plain methods so tests can drive them directly.
#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::himds {

inline constexpr const char* kStatusConnected = "Connected";
inline constexpr const char* kStatusDisconnected = "Disconnected";
inline constexpr const char* kStatusExpired = "Expired";

struct LastError {
    std::string code;
    std::string message;
    std::optional<std::chrono::system_clock::time_point> time;
};

class ConnectionStatus {
public:
    using TimePoint = std::chrono::system_clock::time_point;

    const std::string& agentStatus() const { return agent_status_; }
    const std::optional<TimePoint>& lastHeartbeat() const { return last_heartbeat_; }
    const LastError& lastError() const { return last_error_; }
    int consecutiveFailures() const { return consecutive_failures_; }

    // A 200 from the heartbeat route: Connected, the failure count starts again.
    void heartbeatSucceeded(TimePoint now);
    // Transport failure, refusal or error status: Disconnected with the reason.
    void heartbeatFailed(TimePoint now, std::string code, std::string message);
    // The certificate lapsed: Expired until a disconnect and a new connect.
    void certificateExpired(TimePoint now, TimePoint not_after);
    // Something worth reporting that does not change agentStatus (e.g. a failed renewal while the
    // heartbeat still works).
    void noteError(TimePoint now, std::string code, std::string message);
    // No identity any more (deactivate) or not yet (start): Disconnected, nothing remembered.
    void reset();

    // agentStatus, lastHeartbeat and lastError members of the status object.
    void addTo(nlohmann::json& status) const;

private:
    std::string agent_status_ = kStatusDisconnected;
    std::optional<TimePoint> last_heartbeat_;
    LastError last_error_;
    int consecutive_failures_ = 0;
};

} // namespace azcm::himds
