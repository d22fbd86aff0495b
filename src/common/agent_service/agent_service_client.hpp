#pragma once
// The agent-service calls (docs/protocol.md section 3) of extservice (goal state long-poll,
// reports, the settings certificate, package downloads) and of `azcmagent upgrade` (the agent
// versions published for a platform, their download). Every call carries a short-lived token from
// himds; a 401 drops the cached token and retries once. Blocking: call from a worker thread.
#include "common/error.hpp"
#include "common/http/https_client.hpp"
#include "common/ipc/himds_token_source.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::agentservice {

// The default constructor cannot throw: json's is noexcept, and the throws the check finds are
// inside its body, which they cannot leave.
// NOLINTNEXTLINE(bugprone-exception-escape): noexcept default constructor, see above
struct GoalStateAnswer {
    bool changed = false; // false: 304, the goal state is still `etag`
    std::string etag;
    nlohmann::json document; // set when changed
};

class AgentServiceClient {
public:
    // `identity_base`: endpoints.identity of agentconfig.json (no trailing slash needed).
    AgentServiceClient(http::ClientOptions options,
                       std::string identity_base,
                       ipc::HimdsTokenSource& tokens);

    // GET .../goalstate with If-None-Match and ?waitSeconds (0: answer at once).
    Result<GoalStateAnswer> goalState(const std::string& etag, std::chrono::seconds wait) const;
    // POST .../report; a 409 (the goal state moved on) is an error whose message says so.
    Result<void> report(const nlohmann::json& body) const;
    // PUT .../settingsCertificate {"certificate": PEM}.
    Result<void> registerSettingsCertificate(const std::string& certificate_pem) const;
    // GET .../packages/agent/{platform}: {"platform", "versions": [...]}, newest first.
    Result<nlohmann::json> agentVersions(const std::string& platform) const;
    // Downloads `url` into `destination` (temp file + rename, 0600) when the answer is exactly
    // `expected_size` bytes and at most `max_bytes`. The token is sent only to the identity
    // service's own origin, never to a third-party host.
    Result<void> download(const std::string& url,
                          std::uint64_t expected_size,
                          std::uint64_t max_bytes,
                          const std::filesystem::path& destination) const;

private:
    Result<http::Response> send(const http::SimpleRequest& request,
                                bool with_token,
                                const http::HttpsClient& client) const;
    std::string machinesUrl(const std::string& suffix) const;

    http::HttpsClient client_;
    http::ClientOptions options_;
    std::string identity_base_;
    std::string identity_origin_;
    ipc::HimdsTokenSource& tokens_;
};

} // namespace azcm::agentservice
