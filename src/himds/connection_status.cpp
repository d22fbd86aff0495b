#include "himds/connection_status.hpp"

#include "common/utc_time.hpp"

namespace azcm::himds {

void ConnectionStatus::heartbeatSucceeded(TimePoint now) {
    agent_status_ = kStatusConnected;
    last_heartbeat_ = now;
    consecutive_failures_ = 0;
    // lastError describes the current problem; a working heartbeat means there is none.
    last_error_ = {};
}

void ConnectionStatus::heartbeatFailed(TimePoint now, std::string code, std::string message) {
    agent_status_ = kStatusDisconnected;
    ++consecutive_failures_;
    last_error_ = {std::move(code), std::move(message), now};
}

void ConnectionStatus::certificateExpired(TimePoint now, TimePoint not_after) {
    agent_status_ = kStatusExpired;
    last_error_ = {"CertificateExpired",
                   "the machine certificate expired at " + rfc3339Seconds(not_after) +
                       "; run 'azcmagent disconnect' and 'azcmagent connect' to onboard again",
                   now};
}

void ConnectionStatus::noteError(TimePoint now, std::string code, std::string message) {
    last_error_ = {std::move(code), std::move(message), now};
}

void ConnectionStatus::reset() {
    *this = ConnectionStatus{};
}

void ConnectionStatus::addTo(nlohmann::json& status) const {
    status["agentStatus"] = agent_status_;
    status["lastHeartbeat"] = last_heartbeat_ ? rfc3339Seconds(*last_heartbeat_) : std::string();
    status["lastError"] = {
        {"code", last_error_.code},
        {"message", last_error_.message},
        {"time", last_error_.time ? rfc3339Seconds(*last_error_.time) : std::string()}};
}

} // namespace azcm::himds
