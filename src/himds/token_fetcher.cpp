#include "himds/token_fetcher.hpp"

#include "common/json/json_fields.hpp"
#include "common/log/log.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace azcm::himds {

namespace {

constexpr const char* kTokenRoute = "/machines/token";

constexpr const char* kTokenAnswer = "the identity service's token answer";

// Unix seconds, as a number or a decimal string; absent is nullopt.
Result<std::optional<std::int64_t>> timeMember(const nlohmann::json& body, const char* key) {
    BOOST_OUTCOME_TRY(member, jsondoc::findMember(body, key, kTokenAnswer));
    if (member == nullptr) {
        return std::optional<std::int64_t>();
    }
    BOOST_OUTCOME_TRY(
        seconds, jsondoc::asIntegerOrDigits<std::int64_t>(*member, 0, jsondoc::kMaxUnixSeconds,
                                                          jsondoc::fieldName(kTokenAnswer, key)));
    return std::optional<std::int64_t>(seconds);
}

WallTime fromUnix(std::int64_t seconds) {
    return WallTime(std::chrono::seconds(seconds));
}

std::int64_t toUnix(WallTime time) {
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
    const auto text = [&body](const char* key) -> Result<std::string> {
        BOOST_OUTCOME_TRY(value, jsondoc::getOptionalString(body, key, kTokenAnswer));
        return value.value_or(std::string());
    };
    ManagedIdentityToken token;
    std::optional<std::int64_t> expires_on;
    std::optional<std::int64_t> not_before;
    auto read = [&]() -> Result<void> {
        AZCM_ASSIGN_OR_RETURN(token.access_token, text("access_token"));
        AZCM_ASSIGN_OR_RETURN(token.token_type, text("token_type"));
        AZCM_ASSIGN_OR_RETURN(token.client_id, text("client_id"));
        AZCM_ASSIGN_OR_RETURN(token.object_id, text("object_id"));
        AZCM_ASSIGN_OR_RETURN(expires_on, timeMember(body, "expires_on"));
        AZCM_ASSIGN_OR_RETURN(not_before, timeMember(body, "not_before"));
        return ok();
    };
    if (auto valid = read(); !valid) {
        return makeError(exitcode::kTokenFailed, valid.error().message);
    }
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
tokenResponseJson(const ManagedIdentityToken& token, const std::string& resource, WallTime now) {
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
