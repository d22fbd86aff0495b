#pragma once
// What himds knows about agent upgrades (docs/protocol.md 1.1 and 2.2): the control plane's
// request from the last heartbeat answer, and the result of the last upgrade attempt, which a
// privileged caller reports through POST /agentupgrade/result. The result is kept in
// certs/agentupgrade.json, the one directory himds may write that outlives it, because an upgrade
// restarts himds and the report must still reach the control plane afterwards.
#include "common/error.hpp"

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::himds {

// properties.agentUpgrade of the machine resource, as the heartbeat answer carries it.
struct AgentUpgradeDirective {
    bool enable_automatic_upgrade = false;
    std::string desired_version;
    std::string correlation_id;
};

struct AgentUpgradeAttempt {
    std::string status; // Success | Failed
    std::string message;
    std::string desired_version;
    std::string correlation_id;
    std::string timestamp; // RFC 3339 UTC: when himds received the result
};

// The heartbeat answer's agentUpgrade; the defaults when the answer has none.
Result<AgentUpgradeDirective> readAgentUpgradeDirective(const nlohmann::json& answer);

// The body of POST /agentupgrade/result checked member by member ({"status", "message",
// "desiredVersion", "correlationId"}); the timestamp is left empty for the caller to set.
Result<AgentUpgradeAttempt> parseAgentUpgradeResult(const nlohmann::json& body);

// The heartbeat body's agentUpgrade: the attempt under the names ARM shows (lastAttempt*).
nlohmann::json agentUpgradeReportJson(const AgentUpgradeAttempt& attempt);

// GET /status's agentUpgrade: the directive's members and "lastAttempt" (empty strings without
// one).
nlohmann::json agentUpgradeStatusJson(const AgentUpgradeDirective& directive,
                                      const std::optional<AgentUpgradeAttempt>& attempt);

// certs/agentupgrade.json: the attempt as POST /agentupgrade/result took it, plus its timestamp.
class AgentUpgradeFile {
public:
    explicit AgentUpgradeFile(std::filesystem::path path) : path_(std::move(path)) {}

    const std::filesystem::path& path() const { return path_; }
    // Replaces the file atomically (0600).
    Result<void> write(const AgentUpgradeAttempt& attempt) const;
    // nullopt when no attempt was ever recorded; an error when the file is unusable.
    Result<std::optional<AgentUpgradeAttempt>> read() const;

private:
    std::filesystem::path path_;
};

} // namespace azcm::himds
