#pragma once
// Short-lived control-plane tokens from himds (docs/protocol.md section 1, POST /identity/token):
// extservice never holds the machine key. A token is cached until shortly before it expires.
// Thread-safe: the goal-state loop and the control socket's workers share one source.
#include "common/clock.hpp"
#include "common/error.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

// The audience of every agent-service call (docs/protocol.md section 3).
inline constexpr const char* kAgentServiceResource = "https://his.arc.azure.com";
// A cached token is replaced this long before it expires.
inline constexpr std::chrono::seconds kTokenRefreshMargin{300};

struct CachedToken {
    std::string access_token;
    std::chrono::system_clock::time_point expires_on;
};

// Parses the token answer (all values strings): access_token and expires_on (epoch seconds).
Result<CachedToken> parseTokenAnswer(const nlohmann::json& answer);

class TokenSource {
public:
    explicit TokenSource(std::filesystem::path himds_socket, WallClock clock = wallClock());

    // A valid token for kAgentServiceResource; asks himds when the cache is empty or stale.
    Result<std::string> token();
    // The control plane refused the cached token (401): the next token() asks himds afresh.
    void invalidate();
    // GET /identity of himds: resourceId, vmId, tenant, ... (409 NotConnected -> error).
    Result<nlohmann::json> identity() const;

private:
    std::filesystem::path socket_;
    WallClock clock_;
    std::mutex mutex_;
    CachedToken cached_;
    bool bypass_next_ = false;
};

} // namespace azcm::extservice
