#include "azcmagent/himds_calls.hpp"

#include "common/agent_upgrade_fields.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/json/json_document.hpp"
#include "common/log/log.hpp"
#include "common/platform/service_manager.hpp"

#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

using nlohmann::json;

namespace {

Result<http::Response> callHimds(const Environment& env,
                                 http::Verb method,
                                 const std::string& target,
                                 const std::string& body,
                                 std::chrono::milliseconds timeout) {
    auto response = env.himds(method, target, body, timeout);
    if (!response) {
        spdlog::warn("HIMDS_UNREACHABLE {}: {}", target, log::sanitize(response.error().message));
        return makeError(exitcode::kHimdsUnreachable,
                         "cannot communicate with himds (is the " +
                             platform::installedServiceName("himds") +
                             " service running?): " + response.error().message);
    }
    return response;
}

// A status answer is null unless it is a JSON object within the size and depth limits.
std::optional<json> statusObject(std::string_view body) {
    auto document = jsondoc::parse(body, "the status answer", {jsondoc::kNetworkMaxBytes});
    if (!document || !document.value().is_object()) {
        return std::nullopt;
    }
    return std::move(document).value();
}

} // namespace

Result<HimdsKeys> himdsGenerateKeys(const Environment& env, const std::string& common_name) {
    BOOST_OUTCOME_TRY(response, callHimds(env, http::Verb::post, "/identity/keys",
                                          json{{"commonName", common_name}}.dump(),
                                          std::chrono::seconds(60)));
    return mapHimdsKeysResponse(response.result_int(), response.body());
}

Result<void> himdsActivate(const Environment& env, const std::string& certificate_pem) {
    BOOST_OUTCOME_TRY(response, callHimds(env, http::Verb::post, "/identity/activate",
                                          json{{"certificate", certificate_pem}}.dump(),
                                          std::chrono::seconds(90)));
    return mapHimdsActivateResponse(response.result_int(), response.body());
}

Result<void> himdsDeactivate(const Environment& env) {
    BOOST_OUTCOME_TRY(response, callHimds(env, http::Verb::post, "/identity/deactivate", "{}",
                                          std::chrono::seconds(30)));
    if (response.result_int() != 200) {
        const auto error = parseServiceError(response.body());
        return makeError(exitcode::kHimdsCommunication,
                         "himds refused to deactivate the identity: HTTP " +
                             std::to_string(response.result_int()) + " " + error.message);
    }
    return ok();
}

Result<void> himdsReportUpgrade(const Environment& env,
                                const std::string& status,
                                const std::string& message,
                                const std::string& version,
                                const std::string& correlation_id) {
    // himds keeps at most this many characters of a message, as ARM shows it.
    constexpr std::size_t kMaxMessage = agentupgrade::kMaxAttemptMessageCharacters;
    std::string shown = message;
    if (shown.size() > kMaxMessage) {
        std::size_t cut = kMaxMessage - 3;
        while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0U) == 0x80U) {
            --cut; // not inside a UTF-8 sequence
        }
        shown = shown.substr(0, cut) + "...";
    }
    const json body{{"status", status},
                    {"message", shown},
                    {"desiredVersion", version},
                    {"correlationId", correlation_id}};
    // A package manager's output may hold bytes that are not UTF-8: replaced, not thrown on.
    BOOST_OUTCOME_TRY(response, callHimds(env, http::Verb::post, "/agentupgrade/result",
                                          body.dump(-1, ' ', false, json::error_handler_t::replace),
                                          std::chrono::seconds(30)));
    if (response.result_int() != 200) {
        const auto error = parseServiceError(response.body());
        return makeError(exitcode::kHimdsCommunication, "himds refused the upgrade outcome: HTTP " +
                                                            std::to_string(response.result_int()) +
                                                            " " + error.message);
    }
    return ok();
}

std::optional<json> himdsStatus(const Environment& env) {
    auto response = env.himds(http::Verb::get, "/status", {}, std::chrono::seconds(5));
    if (!response) {
        return std::nullopt;
    }
    if (response.value().result_int() == 403) {
        // Status is for root and the reader group (docs/architecture.md); the refusal itself says
        // the daemon is up, which is all `show` needs for an ordinary user.
        return json::object();
    }
    if (response.value().result_int() != 200) {
        return std::nullopt;
    }
    return statusObject(response.value().body());
}

std::optional<json> daemonStatus(const Environment& env, const std::string& daemon) {
    auto response = ipc::call(env.paths.socketFor(daemon), http::Verb::get, "/status", {},
                              std::chrono::seconds(5));
    if (!response) {
        return std::nullopt;
    }
    if (response.value().result_int() == 403) {
        // Status is for root and the reader group (docs/architecture.md); the refusal itself says
        // the daemon is up, which is all `show` needs for an ordinary user.
        return json::object();
    }
    if (response.value().result_int() != 200) {
        return std::nullopt;
    }
    return statusObject(response.value().body());
}

} // namespace azcm::azcmagent
