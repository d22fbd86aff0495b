#include "himds/agent_upgrade_state.hpp"

#include "common/agent_upgrade_fields.hpp"
#include "common/agent_version.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"

#include <algorithm>

namespace azcm::himds {

namespace {

using nlohmann::json;

constexpr const char* kMember = "agentUpgrade";
constexpr const char* kHeartbeatAnswer = "the identity service's heartbeat answer";
constexpr const char* kDirective = "the heartbeat answer's agentUpgrade";
constexpr fs::FileMode kStateMode{0600, {}};

using agentupgrade::isAttemptMessage;
using agentupgrade::isAttemptStatus;
using agentupgrade::isCorrelationId;
using agentupgrade::isDesiredVersion;

// The string member `name` of `body` ("" when absent or null), when it passes `valid`.
Result<std::string> checkedString(const json& body,
                                  const char* name,
                                  bool (*valid)(const std::string&),
                                  const char* rule) {
    std::string text;
    if (body.contains(name) && !body.at(name).is_null()) {
        if (!body.at(name).is_string()) {
            return makeError(exitcode::kInvalidArgument, std::string(name) + " must be " + rule);
        }
        text = body.at(name).get<std::string>();
    }
    if (!valid(text)) {
        return makeError(exitcode::kInvalidArgument, std::string(name) + " must be " + rule);
    }
    return text;
}

json attemptFileJson(const AgentUpgradeAttempt& attempt) {
    return json{{"status", attempt.status},
                {"message", attempt.message},
                {"desiredVersion", attempt.desired_version},
                {"correlationId", attempt.correlation_id},
                {"timestamp", attempt.timestamp}};
}

} // namespace

Result<AgentUpgradeDirective> readAgentUpgradeDirective(const json& answer) {
    AgentUpgradeDirective directive;
    BOOST_OUTCOME_TRY(member, jsondoc::getOptionalObject(answer, kMember, kHeartbeatAnswer));
    if (member == nullptr) {
        return directive;
    }
    BOOST_OUTCOME_TRY(enable,
                      jsondoc::getOptionalBool(*member, "enableAutomaticUpgrade", kDirective));
    BOOST_OUTCOME_TRY(desired_version,
                      jsondoc::getOptionalString(*member, "desiredVersion", kDirective));
    BOOST_OUTCOME_TRY(correlation_id,
                      jsondoc::getOptionalString(*member, "correlationId", kDirective));
    directive.enable_automatic_upgrade = enable.value_or(false);
    directive.desired_version = desired_version.value_or("");
    directive.correlation_id = correlation_id.value_or("");
    return directive;
}

Result<AgentUpgradeAttempt> parseAgentUpgradeResult(const json& body) {
    AgentUpgradeAttempt attempt;
    BOOST_OUTCOME_TRY(status, checkedString(body, "status", isAttemptStatus, "Success or Failed"));
    BOOST_OUTCOME_TRY(message, checkedString(body, "message", isAttemptMessage,
                                             "a string of at most 1024 characters"));
    BOOST_OUTCOME_TRY(desired_version,
                      checkedString(body, "desiredVersion", isDesiredVersion,
                                    "empty, MAJOR.MINOR or MAJOR.MINOR.BUILD.REVISION, each "
                                    "0-65535"));
    BOOST_OUTCOME_TRY(correlation_id,
                      checkedString(body, "correlationId", isCorrelationId,
                                    "a string of at most 64 printable ASCII characters"));
    attempt.status = std::move(status);
    attempt.message = std::move(message);
    attempt.desired_version = std::move(desired_version);
    attempt.correlation_id = std::move(correlation_id);
    return attempt;
}

json agentUpgradeReportJson(const AgentUpgradeAttempt& attempt) {
    return json{{"lastAttemptStatus", attempt.status},
                {"lastAttemptMessage", attempt.message},
                {"lastAttemptTimestamp", attempt.timestamp},
                {"lastAttemptDesiredVersion", attempt.desired_version},
                {"correlationId", attempt.correlation_id}};
}

json agentUpgradeStatusJson(const AgentUpgradeDirective& directive,
                            const std::optional<AgentUpgradeAttempt>& attempt) {
    const AgentUpgradeAttempt none;
    const auto& last = attempt ? *attempt : none;
    return json{{"enableAutomaticUpgrade", directive.enable_automatic_upgrade},
                {"desiredVersion", directive.desired_version},
                {"correlationId", directive.correlation_id},
                {"lastAttempt",
                 {{"status", last.status},
                  {"message", last.message},
                  {"timestamp", last.timestamp},
                  {"desiredVersion", last.desired_version}}}};
}

Result<void> AgentUpgradeFile::write(const AgentUpgradeAttempt& attempt) const {
    return fs::writeFileAtomic(path_, jsondoc::serialize(attemptFileJson(attempt)), kStateMode);
}

Result<std::optional<AgentUpgradeAttempt>> AgentUpgradeFile::read() const {
    auto document = jsondoc::parseFile(path_);
    if (!document) {
        if (document.error().code == exitcode::kConfigFileNotFound) {
            return std::optional<AgentUpgradeAttempt>();
        }
        return document.error();
    }
    const auto source = path_.string();
    BOOST_OUTCOME_TRY(attempt, parseAgentUpgradeResult(document.value()));
    BOOST_OUTCOME_TRY(timestamp, jsondoc::getString(document.value(), "timestamp", source));
    attempt.timestamp = std::move(timestamp);
    return std::optional<AgentUpgradeAttempt>(std::move(attempt));
}

} // namespace azcm::himds
