#include "azcmagent/upgrade_health.hpp"

#include "azcmagent/himds_calls.hpp"
#include "azcmagent/imds_token_probe.hpp"
#include "azcmagent/show.hpp"
#include "common/json/json_document.hpp"
#include "common/utc_time.hpp"

#include <charconv>
#include <thread>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

namespace {

using nlohmann::json;

// Any audience the control plane issues managed-identity tokens for.
constexpr const char* kTokenProbeResource = "https://management.azure.com/";

std::optional<std::string> himdsProblem(const std::optional<nlohmann::json>& status,
                                        const HealthCheck& check) {
    if (!status) {
        return "himds does not answer its control socket";
    }
    const auto version = status->value("version", std::string());
    if (check.version && version != check.version->text()) {
        return "himds runs version '" + version + "', not " + check.version->text();
    }
    if (status->value("agentStatus", std::string()) != "Connected") {
        return "himds is not connected (agent status '" +
               status->value("agentStatus", std::string()) + "')";
    }
    // Fixed-width UTC times in the same format order as text.
    if (status->value("lastHeartbeat", std::string()) < rfc3339Seconds(check.since)) {
        return "the control plane has accepted no heartbeat since the install began";
    }
    return std::nullopt;
}

// A token the control plane issues now (himds's cache bypassed), then one an application obtains
// through the IMDS API's challenge (docs/protocol.md).
std::optional<std::string> tokenProblem(const Environment& env,
                                        const std::optional<nlohmann::json>& status) {
    const json body{{"resource", kTokenProbeResource}, {"bypassCache", true}};
    auto answer =
        env.himds(http::Verb::post, "/identity/token", body.dump(), std::chrono::seconds(30));
    if (!answer || answer.value().result_int() != 200) {
        return std::string("himds obtains no managed-identity token");
    }
    auto document =
        jsondoc::parse(answer.value().body(), "the token answer", {jsondoc::kNetworkMaxBytes});
    if (!document || document.value().value("access_token", std::string()).empty()) {
        return std::string("himds obtains no managed-identity token");
    }
    if (auto imds = probeImdsToken(imdsPortOf(status), env.paths.tokensDir(), kTokenProbeResource,
                                   std::chrono::seconds(30));
        !imds) {
        return imds.error().message;
    }
    return std::nullopt;
}

std::optional<std::string> firstProblem(const Environment& env, const HealthCheck& check) {
    const auto status = himdsStatus(env);
    if (auto problem = himdsProblem(status, check)) {
        return problem;
    }
    if (auto problem = tokenProblem(env, status)) {
        return problem;
    }
    for (const auto& daemon : check.daemons) {
        if (!daemonStatus(env, daemon)) {
            return daemon + " does not answer its control socket";
        }
    }
    return std::nullopt;
}

} // namespace

std::vector<std::string> answeringDaemons(const Environment& env) {
    std::vector<std::string> answering;
    for (const char* daemon : {"extservice", "gcservice", "arcproxy"}) {
        if (daemonStatus(env, daemon)) {
            answering.emplace_back(daemon);
        }
    }
    return answering;
}

std::chrono::seconds healthCheckDeadline(const Environment& env) {
    constexpr std::chrono::seconds kDefault{120};
    const auto text = env.get_env("AZCM_UPGRADE_HEALTH_SECONDS");
    if (!text) {
        return kDefault;
    }
    int seconds = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), seconds);
    if (error != std::errc() || end != text->data() + text->size() || seconds < 1 ||
        seconds > 3600) {
        return kDefault;
    }
    return std::chrono::seconds(seconds);
}

Result<void> waitUntilHealthy(const Environment& env, const HealthCheck& check) {
    const auto give_up = std::chrono::steady_clock::now() + check.deadline;
    while (true) {
        const auto problem = firstProblem(env, check);
        if (!problem) {
            return ok();
        }
        if (std::chrono::steady_clock::now() >= give_up) {
            return makeError(exitcode::kGeneric, "health check failed after " +
                                                     std::to_string(check.deadline.count()) +
                                                     " s: " + *problem);
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

} // namespace azcm::azcmagent
