#pragma once
// Short-lived control-plane tokens from himds (docs/protocol.md section 1, POST /identity/token),
// for the daemons that call the agent services (extservice, gcservice): they never hold the
// machine key. A token is cached until shortly before it expires. Thread-safe: a daemon's
// long-poll loop and its control socket's workers may share one source.
#include "common/clock.hpp"
#include "common/error.hpp"

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::ipc {

// The audience of every agent-service call (docs/protocol.md section 3).
inline constexpr const char* kAgentServiceResource = "https://his.arc.azure.com";
// A cached token is replaced this long before it expires.
inline constexpr std::chrono::seconds kTokenRefreshMargin{300};

struct HimdsToken {
    std::string access_token;
    std::chrono::system_clock::time_point expires_on;
};

// Parses himds's token answer (all values strings): access_token and expires_on (epoch seconds).
Result<HimdsToken> parseTokenAnswer(const nlohmann::json& answer);

class HimdsTokenSource {
public:
    explicit HimdsTokenSource(std::filesystem::path himds_socket, WallClock clock = wallClock());

    // A valid token for kAgentServiceResource; asks himds when the cache is empty or stale.
    Result<std::string> token();
    // The control plane refused the cached token (401): the next token() asks himds afresh,
    // telling it to bypass its own cache.
    void invalidate();
    // GET /identity of himds: resourceId, vmId, tenant, ... (409 NotConnected -> error).
    Result<nlohmann::json> identity() const;

private:
    std::filesystem::path socket_;
    WallClock clock_;
    std::mutex mutex_;
    HimdsToken cached_;
    bool bypass_next_ = false;
};

} // namespace azcm::ipc
