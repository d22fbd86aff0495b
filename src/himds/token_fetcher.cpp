#include "token_fetcher.hpp"

#include "log/log.hpp"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

namespace azcm::himds {

namespace {

constexpr const char* kTokenRoute = "/machines/token";

std::optional<std::int64_t> integerMember(const nlohmann::json& body, const char* key) {
    if (!body.contains(key)) {
        return std::nullopt;
    }
    const auto& value = body[key];
    if (value.is_number_integer()) {
        return value.get<std::int64_t>();
    }
    if (!value.is_string()) {
        return std::nullopt;
    }
    const auto& text = value.get_ref<const std::string&>();
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return number;
}

std::string stringMember(const nlohmann::json& body, const char* key) {
    return body.contains(key) && body[key].is_string() ? body[key].get<std::string>()
                                                       : std::string{};
}

TokenTime fromUnix(std::int64_t seconds) {
    return TokenTime(std::chrono::seconds(seconds));
}

std::int64_t toUnix(TokenTime time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

} // namespace

bool validResource(std::string_view resource) {
    return !resource.empty() && resource.size() <= kMaxResourceLength &&
           std::all_of(resource.begin(), resource.end(),
                       [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

void CredentialSlot::publish(std::shared_ptr<const TokenCredentials> credentials) {
    const std::lock_guard lock(mutex_);
    credentials_ = std::move(credentials);
}

std::shared_ptr<const TokenCredentials> CredentialSlot::current() const {
    const std::lock_guard lock(mutex_);
    return credentials_;
}

Result<ManagedIdentityToken> parseTokenReply(const ServiceReply& reply) {
    if (reply.status != 200) {
        // The status travels in the code so the IMDS route can tell the caller's fault (4xx)
        // from the service's (5xx).
        return makeError(static_cast<int>(reply.status),
                         "the identity service refused the token: " + describeServiceError(reply));
    }
    const auto& body = reply.body;
    if (!body.is_object()) {
        return makeError(exitcode::kTokenFailed, "the token answer is not a JSON object");
    }
    ManagedIdentityToken token;
    token.access_token = stringMember(body, "access_token");
    token.token_type = stringMember(body, "token_type");
    token.client_id = stringMember(body, "client_id");
    token.object_id = stringMember(body, "object_id");
    const auto expires_on = integerMember(body, "expires_on");
    const auto not_before = integerMember(body, "not_before");
    if (token.access_token.empty() || !expires_on) {
        return makeError(exitcode::kTokenFailed,
                         "the token answer lacks access_token or expires_on");
    }
    if (token.token_type.empty()) {
        token.token_type = "Bearer";
    }
    token.expires_on = fromUnix(*expires_on);
    if (not_before) {
        token.issued_at = fromUnix(*not_before);
    }
    return token;
}

TokenFetcher makeIdentityServiceFetcher(std::shared_ptr<IdentityServiceClient> client,
                                        std::shared_ptr<const CredentialSlot> slot) {
    return [client = std::move(client),
            slot = std::move(slot)](const std::string& resource) -> Result<ManagedIdentityToken> {
        const auto credentials = slot->current();
        if (!credentials) {
            return makeError(exitcode::kTokenFailed, "the machine is not connected");
        }
        BOOST_OUTCOME_TRY(reply, client->post(credentials->endpoint, credentials->machine,
                                              kTokenRoute, nlohmann::json{{"resource", resource}}));
        auto token = parseTokenReply(reply);
        if (token) {
            // Upstream fetches are rare (cache misses and half-life refreshes): worth an audit
            // line.
            spdlog::info("IMDS_TOKEN_FETCHED resource={} expiresOn={}", log::sanitize(resource),
                         toUnix(token.value().expires_on));
        }
        return token;
    };
}

nlohmann::json
tokenResponseJson(const ManagedIdentityToken& token, const std::string& resource, TokenTime now) {
    const auto expires_in = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(token.expires_on - now).count());
    return nlohmann::json{{"access_token", token.access_token},
                          {"refresh_token", ""},
                          {"expires_in", std::to_string(expires_in)},
                          {"expires_on", std::to_string(toUnix(token.expires_on))},
                          {"not_before", std::to_string(toUnix(token.issued_at))},
                          {"resource", resource},
                          {"token_type", token.token_type},
                          {"client_id", token.client_id},
                          {"object_id", token.object_id}};
}

} // namespace azcm::himds
