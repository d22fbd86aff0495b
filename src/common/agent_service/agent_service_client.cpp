#include "common/agent_service/agent_service_client.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/http/url.hpp"
#include "common/json/json_document.hpp"
#include "common/json/service_error.hpp"

namespace azcm::agentservice {

namespace {

Error statusError(const http::Response& response, std::string_view what) {
    std::string message = std::string(what) + " answered HTTP " +
                          std::to_string(static_cast<unsigned>(response.result_int()));
    if (const auto detail = jsondoc::serviceErrorText(response.body()); !detail.empty()) {
        message += " " + detail;
    }
    return makeError(exitcode::kNetwork, message);
}

std::string originOf(const std::string& url) {
    auto parsed = http::parseUrl(url);
    return parsed ? parsed.value().origin() : std::string();
}

} // namespace

AgentServiceClient::AgentServiceClient(http::ClientOptions options,
                                       std::string identity_base,
                                       ipc::HimdsTokenSource& tokens)
    : client_(options), options_(std::move(options)), identity_base_(std::move(identity_base)),
      tokens_(tokens) {
    while (!identity_base_.empty() && identity_base_.back() == '/') {
        identity_base_.pop_back();
    }
    identity_origin_ = originOf(identity_base_);
}

std::string AgentServiceClient::machinesUrl(const std::string& suffix) const {
    return identity_base_ + "/machines/extensions/" + suffix;
}

Result<http::Response> AgentServiceClient::send(const http::SimpleRequest& request,
                                                bool with_token,
                                                const http::HttpsClient& client) const {
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto headers = request.headers;
        if (with_token) {
            auto token = tokens_.token();
            if (!token) {
                return token.error();
            }
            headers.emplace_back("Authorization", "Bearer " + token.value());
        }
        http::SimpleRequest sent = request;
        sent.headers = std::move(headers);
        auto response = client.send(sent);
        if (!response) {
            return response;
        }
        if (with_token && response.value().result() == http::Status::unauthorized && attempt == 0) {
            tokens_.invalidate();
            continue;
        }
        return response;
    }
    return makeError(exitcode::kInvalidAccessToken, "the control plane refused a fresh token");
}

Result<GoalStateAnswer> AgentServiceClient::goalState(const std::string& etag,
                                                      std::chrono::seconds wait) const {
    http::SimpleRequest request;
    request.method = http::Verb::get;
    request.url = machinesUrl("goalstate");
    if (wait.count() > 0) {
        request.url += "?waitSeconds=" + std::to_string(wait.count());
    }
    if (!etag.empty()) {
        request.headers.emplace_back("If-None-Match", etag);
    }
    // The request may be held open for `wait`: the client waits a little longer than that, and
    // does not retry on its own (the loop backs off instead).
    auto options = options_;
    options.request_timeout = std::chrono::milliseconds(wait + std::chrono::seconds(30));
    options.retry.max_attempts = 1;
    const http::HttpsClient long_poll(options);
    auto response = send(request, true, long_poll);
    if (!response) {
        return response.error();
    }
    const auto& answer = response.value();
    GoalStateAnswer result;
    if (answer.result() == http::Status::not_modified) {
        result.etag = etag;
        return result;
    }
    if (answer.result() != http::Status::ok) {
        return statusError(answer, "goal state request");
    }
    result.changed = true;
    if (const auto it = answer.find(http::Field::etag); it != answer.end()) {
        result.etag = std::string(it->value());
    }
    auto document =
        jsondoc::parse(answer.body(), "the goal state answer", {jsondoc::kNetworkMaxBytes});
    if (!document) {
        return makeError(exitcode::kNetwork, document.error().message);
    }
    result.document = std::move(document).value();
    return result;
}

Result<void> AgentServiceClient::report(const nlohmann::json& body) const {
    http::SimpleRequest request;
    request.method = http::Verb::post;
    request.url = machinesUrl("report");
    request.body = jsondoc::serialize(body);
    request.headers.emplace_back("Content-Type", "application/json");
    auto response = send(request, true, client_);
    if (!response) {
        return response.error();
    }
    if (response.value().result() != http::Status::ok) {
        return statusError(response.value(), "report");
    }
    return ok();
}

Result<void>
AgentServiceClient::registerSettingsCertificate(const std::string& certificate_pem) const {
    http::SimpleRequest request;
    request.method = http::Verb::put;
    request.url = machinesUrl("settingsCertificate");
    request.body = nlohmann::json{{"certificate", certificate_pem}}.dump();
    request.headers.emplace_back("Content-Type", "application/json");
    auto response = send(request, true, client_);
    if (!response) {
        return response.error();
    }
    const auto status = response.value().result();
    if (status != http::Status::ok && status != http::Status::created &&
        status != http::Status::no_content) {
        return statusError(response.value(), "settings certificate registration");
    }
    return ok();
}

Result<nlohmann::json> AgentServiceClient::agentVersions(const std::string& platform) const {
    http::SimpleRequest request;
    request.method = http::Verb::get;
    request.url = identity_base_ + "/machines/packages/agent/" + platform;
    auto response = send(request, true, client_);
    if (!response) {
        return response.error();
    }
    if (response.value().result() != http::Status::ok) {
        return statusError(response.value(), "agent version list");
    }
    auto document = jsondoc::parse(response.value().body(), "the agent version list",
                                   {jsondoc::kNetworkMaxBytes});
    if (!document) {
        return makeError(exitcode::kNetwork, document.error().message);
    }
    return std::move(document).value();
}

Result<void> AgentServiceClient::download(const std::string& url,
                                          std::uint64_t expected_size,
                                          std::uint64_t max_bytes,
                                          const std::filesystem::path& destination) const {
    if (expected_size > max_bytes) {
        return makeError(exitcode::kGeneric, "the package is " + std::to_string(expected_size) +
                                                 " bytes, more than the limit of " +
                                                 std::to_string(max_bytes));
    }
    auto options = options_;
    // One byte more than announced: a longer answer is refused by the client, not buffered.
    options.max_response_bytes = expected_size + 1;
    options.request_timeout = std::chrono::minutes(30);
    const http::HttpsClient downloader(options);
    http::SimpleRequest request;
    request.method = http::Verb::get;
    request.url = url;
    const bool same_origin = !identity_origin_.empty() && originOf(url) == identity_origin_;
    auto response = send(request, same_origin, downloader);
    if (!response) {
        return makeError(exitcode::kNetwork,
                         "package download failed: " + response.error().message);
    }
    if (response.value().result() != http::Status::ok) {
        return statusError(response.value(), "package download");
    }
    const auto& body = response.value().body();
    if (body.size() != expected_size) {
        return makeError(exitcode::kGeneric, "the package has " + std::to_string(body.size()) +
                                                 " bytes, the goal state announced " +
                                                 std::to_string(expected_size));
    }
    return fs::writeFileAtomic(destination, body, {0600, {}});
}

} // namespace azcm::agentservice
