#include "gcservice/gc_control_plane.hpp"

#include "common/agent_service/agent_service_client.hpp"
#include "common/config/agent_config.hpp"
#include "common/config/local_config.hpp"
#include "common/config/proxy_policy.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/http/https_client.hpp"
#include "common/ipc/himds_token_source.hpp"
#include "common/json/json_document.hpp"
#include "common/json/service_error.hpp"
#include "common/log/log.hpp"

#include <spdlog/spdlog.h>

namespace azcm::gcservice {

using nlohmann::json;

namespace {

std::string errorText(const http::Response& response) {
    if (auto text = jsondoc::serviceErrorText(response.body()); !text.empty()) {
        return text;
    }
    return response.body().substr(0, 200);
}

// How one call may run: the defaults, or a long-poll's (longer, single attempt, cancellable).
struct CallLimits {
    std::chrono::milliseconds request_timeout{30000};
    int attempts = 2;
    std::shared_ptr<http::CancelSignal> cancel;
};

class HttpsControlPlane final : public ControlPlane {
public:
    explicit HttpsControlPlane(Paths paths) : paths_(std::move(paths)) {}

    Result<ControlPlaneTarget> target() override {
        BOOST_OUTCOME_TRY(agent, config::loadAgentConfig(paths_.agentConfig()));
        BOOST_OUTCOME_TRY(local, lastGoodLocalConfig());
        ControlPlaneTarget target;
        target.guest_configuration_url = agent.cloud.endpoints.guest_configuration;
        target.ca_file = agent.cloud.ca_cert_path;
        target.package_signing_root = agent.cloud.package_signing_root_path;
        target.identity_url = agent.cloud.endpoints.identity;
        target.proxy = config::ProxyPolicy(local, config::environmentProxy())
                           .proxyFor(config::TargetService::kArc);
        if (target.guest_configuration_url.empty()) {
            return makeError(exitcode::kConfigFileNotFound,
                             "agentconfig.json names no guest configuration endpoint");
        }
        return target;
    }

    Result<GoalStateAnswer> assignments(const std::string& etag,
                                        std::chrono::seconds wait) override {
        BOOST_OUTCOME_TRY(where, target());
        http::SimpleRequest request;
        request.url = where.guest_configuration_url + "/machines/assignments";
        CallLimits limits;
        if (!etag.empty()) {
            request.headers.emplace_back("If-None-Match", etag);
            if (wait.count() > 0) {
                request.url += "?waitSeconds=" + std::to_string(wait.count());
                // Held for up to `wait`: the client waits a little longer, does not retry on its
                // own (the caller pauses instead) and can be abandoned at shutdown.
                limits.request_timeout = wait + std::chrono::seconds(30);
                limits.attempts = 1;
                limits.cancel = long_poll_cancel_;
            }
        }
        BOOST_OUTCOME_TRY(response, send(where, request, kDefaultMaxBytes, limits));
        GoalStateAnswer answer;
        if (const auto tag = response.find(http::Field::etag); tag != response.end()) {
            answer.etag = std::string(tag->value());
        }
        if (response.result() == http::Status::not_modified) {
            answer.not_modified = true;
            answer.etag = answer.etag.empty() ? etag : answer.etag;
            return answer;
        }
        if (response.result() != http::Status::ok) {
            return makeError(exitcode::kNetwork, "assignments: HTTP " +
                                                     std::to_string(response.result_int()) + " " +
                                                     errorText(response));
        }
        auto body = jsondoc::parse(response.body(), "the assignments answer", {kDefaultMaxBytes});
        if (!body) {
            return makeError(exitcode::kNetwork, body.error().message);
        }
        answer.body = std::move(body).value();
        return answer;
    }

    Result<void> download(const std::string& url,
                          const std::filesystem::path& destination,
                          std::uint64_t max_bytes) override {
        BOOST_OUTCOME_TRY(where, target());
        http::SimpleRequest request;
        request.url = url;
        BOOST_OUTCOME_TRY(response, send(where, request, max_bytes));
        if (response.result() != http::Status::ok) {
            return makeError(exitcode::kNetwork, "package download: HTTP " +
                                                     std::to_string(response.result_int()) + " " +
                                                     errorText(response));
        }
        return fs::writeFileAtomic(destination, response.body(), fs::FileMode{0600, {}});
    }

    Result<void> report(const json& body) override {
        BOOST_OUTCOME_TRY(where, target());
        http::SimpleRequest request;
        request.method = http::Verb::post;
        request.url = where.guest_configuration_url + "/machines/reports";
        request.body = jsondoc::serialize(body);
        request.headers.emplace_back("Content-Type", "application/json");
        BOOST_OUTCOME_TRY(response, send(where, request, kDefaultMaxBytes));
        if (response.result() != http::Status::ok) {
            return makeError(exitcode::kNetwork, "report: HTTP " +
                                                     std::to_string(response.result_int()) + " " +
                                                     errorText(response));
        }
        return ok();
    }

    Result<json> agentReleases(const std::string& platform) override {
        BOOST_OUTCOME_TRY(where, target());
        if (where.identity_url.empty()) {
            return makeError(exitcode::kConfigFileNotFound,
                             "agentconfig.json names no identity endpoint");
        }
        // The feed is one of the agent services, which `azcmagent upgrade` reads too: one client
        // for both, with the same token as every call here.
        const agentservice::AgentServiceClient feed(clientOptions(where, kDefaultMaxBytes, {}),
                                                    where.identity_url, tokens_);
        return feed.agentVersions(platform);
    }

    void cancelWaits() override { long_poll_cancel_->cancel(); }

private:
    static constexpr std::uint64_t kDefaultMaxBytes = std::uint64_t{4} * 1024 * 1024;

    // The file as it is now; when it cannot be read, the last version that could (its proxy
    // settings stay in force), and an error before any was read.
    Result<config::LocalConfig> lastGoodLocalConfig() {
        auto local = config::loadLocalConfig(paths_.localConfig());
        std::lock_guard lock(local_mutex_);
        if (local) {
            last_good_local_ = local.value();
        } else if (last_good_local_) {
            spdlog::warn("CFG_LOAD_FAILED {}; keeping the last good settings",
                         log::sanitize(local.error().message));
        } else {
            return local.error();
        }
        return *last_good_local_;
    }

    static http::ClientOptions clientOptions(const ControlPlaneTarget& where,
                                             std::uint64_t max_bytes,
                                             const CallLimits& limits) {
        http::ClientOptions options;
        options.ca_file = where.ca_file;
        options.proxy_url = where.proxy;
        options.max_response_bytes = max_bytes;
        options.request_timeout = limits.request_timeout;
        options.retry.max_attempts = limits.attempts;
        options.cancel = limits.cancel;
        return options;
    }

    // One authenticated call; a 401 fetches a fresh token once and retries.
    Result<http::Response> send(const ControlPlaneTarget& where,
                                http::SimpleRequest request,
                                std::uint64_t max_bytes,
                                const CallLimits& limits = {}) {
        const http::HttpsClient client(clientOptions(where, max_bytes, limits));
        request.headers.emplace_back("x-ms-client-request-id", "gcservice");
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (attempt > 0) {
                tokens_.invalidate();
            }
            BOOST_OUTCOME_TRY(bearer, tokens_.token());
            auto with_token = request;
            with_token.headers.emplace_back("Authorization", "Bearer " + bearer);
            BOOST_OUTCOME_TRY(response, client.send(with_token));
            if (response.result() != http::Status::unauthorized || attempt > 0) {
                return response;
            }
            spdlog::info("GC_TOKEN_REFUSED retrying with a fresh token");
        }
        return makeError(exitcode::kNetwork, "unreachable");
    }

    Paths paths_;
    std::mutex local_mutex_;
    std::optional<config::LocalConfig> last_good_local_;
    ipc::HimdsTokenSource tokens_{paths_.socketFor("himds")};
    std::shared_ptr<http::CancelSignal> long_poll_cancel_ = std::make_shared<http::CancelSignal>();
};

} // namespace

std::unique_ptr<ControlPlane> makeHttpsControlPlane(const Paths& paths) {
    return std::make_unique<HttpsControlPlane>(paths);
}

} // namespace azcm::gcservice
