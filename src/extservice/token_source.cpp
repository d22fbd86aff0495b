#include "token_source.hpp"

#include "ipc/ipc_client.hpp"

#include <charconv>

namespace azcm::extservice {

namespace {

Error himdsError(const http::Response& response, std::string_view what) {
    std::string message = std::string(what) + ": himds answered " +
                          std::to_string(static_cast<unsigned>(response.result_int()));
    auto body = nlohmann::json::parse(response.body(), nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
        message += " " + body["error"].value("code", std::string()) + ": " +
                   body["error"].value("message", std::string());
    }
    return makeError(exitcode::kTokenFailed, message);
}

} // namespace

Result<CachedToken> parseTokenAnswer(const nlohmann::json& answer) {
    if (!answer.is_object() || !answer.contains("access_token") ||
        !answer["access_token"].is_string() || !answer.contains("expires_on") ||
        !answer["expires_on"].is_string()) {
        return makeError(exitcode::kTokenFailed,
                         "himds token answer lacks access_token or expires_on");
    }
    const auto& expires = answer["expires_on"].get_ref<const std::string&>();
    long long seconds = 0;
    const auto [end, error] =
        std::from_chars(expires.data(), expires.data() + expires.size(), seconds);
    if (error != std::errc() || end != expires.data() + expires.size() || seconds <= 0) {
        return makeError(exitcode::kTokenFailed, "himds token answer: bad expires_on");
    }
    CachedToken token;
    token.access_token = answer["access_token"].get<std::string>();
    token.expires_on = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
    if (token.access_token.empty()) {
        return makeError(exitcode::kTokenFailed, "himds token answer: empty access_token");
    }
    return token;
}

TokenSource::TokenSource(std::filesystem::path himds_socket, Clock clock)
    : socket_(std::move(himds_socket)), clock_(std::move(clock)) {}

Result<std::string> TokenSource::token() {
    std::lock_guard lock(mutex_);
    if (!cached_.access_token.empty() && clock_() + kTokenRefreshMargin < cached_.expires_on) {
        return cached_.access_token;
    }
    const nlohmann::json request{{"resource", kAgentServiceResource},
                                 {"bypassCache", bypass_next_}};
    auto response = ipc::call(socket_, http::Verb::post, "/identity/token", request.dump(),
                              std::chrono::seconds(60));
    if (!response) {
        return makeError(exitcode::kHimdsUnreachable,
                         "cannot reach himds for a token: " + response.error().message);
    }
    if (response.value().result() != http::Status::ok) {
        return himdsError(response.value(), "token request refused");
    }
    auto parsed = parseTokenAnswer(nlohmann::json::parse(response.value().body(), nullptr, false));
    if (!parsed) {
        return parsed.error();
    }
    cached_ = std::move(parsed).value();
    bypass_next_ = false;
    return cached_.access_token;
}

void TokenSource::invalidate() {
    std::lock_guard lock(mutex_);
    cached_ = {};
    // himds would hand back the same cached token: ask it for a fresh one.
    bypass_next_ = true;
}

Result<nlohmann::json> TokenSource::identity() const {
    auto response = ipc::call(socket_, http::Verb::get, "/identity", {}, std::chrono::seconds(10));
    if (!response) {
        return makeError(exitcode::kHimdsUnreachable,
                         "cannot reach himds: " + response.error().message);
    }
    if (response.value().result() != http::Status::ok) {
        return himdsError(response.value(), "identity request refused");
    }
    auto body = nlohmann::json::parse(response.value().body(), nullptr, false);
    if (!body.is_object()) {
        return makeError(exitcode::kHimdsCommunication, "himds identity answer is not JSON");
    }
    return body;
}

} // namespace azcm::extservice
