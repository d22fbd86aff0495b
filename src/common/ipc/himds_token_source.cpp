#include "common/ipc/himds_token_source.hpp"

#include "common/ipc/ipc_client.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"
#include "common/json/service_error.hpp"

namespace azcm::ipc {

namespace {

Error himdsError(const http::Response& response, std::string_view what) {
    std::string message = std::string(what) + ": himds answered " +
                          std::to_string(static_cast<unsigned>(response.result_int()));
    if (const auto detail = jsondoc::serviceErrorText(response.body()); !detail.empty()) {
        message += " " + detail;
    }
    return makeError(exitcode::kTokenFailed, message);
}

} // namespace

Result<HimdsToken> parseTokenAnswer(const nlohmann::json& answer) {
    constexpr const char* kSource = "himds's token answer";
    HimdsToken token;
    AZCM_ASSIGN_OR_RETURN(token.access_token,
                          jsondoc::withCode(jsondoc::getString(answer, "access_token", kSource),
                                            exitcode::kTokenFailed));
    BOOST_OUTCOME_TRY(expires, jsondoc::withCode(jsondoc::getString(answer, "expires_on", kSource),
                                                 exitcode::kTokenFailed));
    BOOST_OUTCOME_TRY(seconds, jsondoc::withCode(jsondoc::asIntegerOrDigits<std::int64_t>(
                                                     expires, 1, jsondoc::kMaxUnixSeconds,
                                                     jsondoc::fieldName(kSource, "expires_on")),
                                                 exitcode::kTokenFailed));
    token.expires_on = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
    if (token.access_token.empty()) {
        return makeError(exitcode::kTokenFailed, "himds token answer: empty access_token");
    }
    return token;
}

HimdsTokenSource::HimdsTokenSource(std::filesystem::path himds_socket, WallClock clock)
    : socket_(std::move(himds_socket)), clock_(std::move(clock)) {}

Result<std::string> HimdsTokenSource::token() {
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
    auto document = jsondoc::parse(response.value().body(), "himds's token answer");
    if (!document) {
        return makeError(exitcode::kTokenFailed, document.error().message);
    }
    auto parsed = parseTokenAnswer(document.value());
    if (!parsed) {
        return parsed.error();
    }
    cached_ = std::move(parsed).value();
    bypass_next_ = false;
    return cached_.access_token;
}

void HimdsTokenSource::invalidate() {
    std::lock_guard lock(mutex_);
    cached_ = {};
    // himds would hand back the same cached token: ask it for a fresh one.
    bypass_next_ = true;
}

Result<nlohmann::json> HimdsTokenSource::identity() const {
    auto response = ipc::call(socket_, http::Verb::get, "/identity", {}, std::chrono::seconds(10));
    if (!response) {
        return makeError(exitcode::kHimdsUnreachable,
                         "cannot reach himds: " + response.error().message);
    }
    if (response.value().result() != http::Status::ok) {
        return himdsError(response.value(), "identity request refused");
    }
    auto body = jsondoc::parse(response.value().body(), "himds's identity answer");
    if (!body || !body.value().is_object()) {
        return makeError(exitcode::kHimdsCommunication,
                         body ? "himds's identity answer is not a JSON object"
                              : body.error().message);
    }
    return std::move(body).value();
}

} // namespace azcm::ipc
