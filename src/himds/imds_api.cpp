// The IMDS REST API of HimdsService on 127.0.0.1 and [::1] (docs/imds.md): instance metadata and
// managed identity tokens behind the file-based challenge, with per-route rate limits.
#include "common/log/log.hpp"
#include "himds/himds_service.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <boost/algorithm/string/predicate.hpp>

namespace azcm::himds {

namespace {

using nlohmann::json;

// Bounds for a GET-only API: nothing legitimate sends a body, and SDK headers are small. Every
// caller is a local user: one uid may hold an eighth of the connections, so that holding slots
// takes eight accounts and the rest stay free for everyone else.
constexpr http::ServerLimits kImdsLimits{
    .max_header_bytes = 8 * 1024,
    .max_body_bytes = std::uint64_t{4} * 1024,
    .request_timeout = std::chrono::seconds(10),
    .idle_timeout = std::chrono::seconds(30),
    .max_connections = 512,
    .max_connections_per_uid = 64,
    .retry_after = std::chrono::seconds(1),
};
// A few free ports are tried when port 0 must be bound on both loopback addresses.
constexpr int kFreePortAttempts = 16;

// Query keys of user-assigned identities: Arc machines have a system-assigned identity only.
constexpr std::array<std::string_view, 6> kUserAssignedKeys = {
    "client_id", "object_id", "principal_id", "msi_res_id", "mi_res_id", "resource_id"};

// What an answer needs from its request once the request itself is gone (answers from a worker).
struct ImdsReply {
    unsigned version = 11;
    bool keep_alive = true;

    explicit ImdsReply(const http::Request& request)
        : version(request.version()), keep_alive(request.keep_alive()) {}

    http::Response body(http::Status status, std::string text, const char* content_type) const {
        http::Response response{status, version};
        response.set(http::Field::content_type, content_type);
        response.keep_alive(keep_alive);
        response.body() = std::move(text);
        response.prepare_payload();
        return response;
    }
    http::Response json(http::Status status, std::string text) const {
        return body(status, std::move(text), "application/json; charset=utf-8");
    }
    http::Response error(const ImdsFailure& failure) const {
        return imdsErrorResponse(version, keep_alive, failure);
    }
    http::Response tooMany(std::chrono::seconds retry_after, std::string description) const {
        auto response =
            error({http::Status::too_many_requests, "too_many_requests", std::move(description)});
        response.set(http::Field::retry_after, std::to_string(retry_after.count()));
        return response;
    }
    http::Response token(const nlohmann::json& body) const {
        auto response = json(http::Status::ok, body.dump());
        // Tokens are credentials: no intermediary or client cache keeps them.
        response.set(http::Field::cache_control, "no-store");
        response.set(http::Field::pragma, "no-cache");
        return response;
    }
};

ImdsFailure invalidRequest(std::string description) {
    return {http::Status::bad_request, "invalid_request", std::move(description)};
}

std::string peerText(const http::PeerInfo& peer) {
    return peer.remote_address.empty() ? std::string("unknown") : peer.remote_address;
}

// The scheme is case-insensitive (RFC 9110); the credentials are the key file's content verbatim.
std::optional<std::string_view> basicCredentials(std::string_view header) {
    constexpr std::string_view kScheme = "basic ";
    if (header.size() <= kScheme.size() ||
        !boost::iequals(header.substr(0, kScheme.size()), kScheme)) {
        return std::nullopt;
    }
    return header.substr(kScheme.size());
}

} // namespace

Result<void> HimdsService::listenImds() {
    const int attempts = options_.imds_port == 0 ? kFreePortAttempts : 1;
    for (int attempt = 1;; ++attempt) {
        imds_server_ = std::make_unique<http::HttpServer>(
            io_.get_executor(),
            [weak = weak_from_this()](http::Request&& request, const http::PeerInfo& peer,
                                      http::Respond respond) {
                if (auto self = weak.lock()) {
                    self->handleImdsRequest(std::move(request), peer, std::move(respond));
                }
            },
            kImdsLimits);
        auto v4 = imds_server_->listenTcp("127.0.0.1", options_.imds_port);
        if (!v4) {
            return makeError(exitcode::kInitFailed,
                             "cannot listen for IMDS on 127.0.0.1: " + v4.error().message);
        }
        imds_port_ = v4.value();
        imds_addresses_ = {"127.0.0.1:" + std::to_string(imds_port_)};
        auto v6 = imds_server_->listenTcp("::1", imds_port_);
        if (v6) {
            imds_addresses_.push_back("[::1]:" + std::to_string(imds_port_));
            break;
        }
        if (attempt >= attempts) {
            // A host without IPv6 on loopback still serves IPv4 clients.
            spdlog::warn("IMDS_NO_IPV6 cannot listen on [::1]:{}: {}", imds_port_,
                         log::sanitize(v6.error().message));
            break;
        }
        // The free port picked on 127.0.0.1 is taken on ::1: try another one.
        imds_server_->stop();
    }
    spdlog::info("IMDS_LISTENING port={} rateLimits={}", imds_port_,
                 options_.imds_rate_limits ? "on" : "off");
    return ok();
}

void HimdsService::handleImdsRequest(http::Request&& request,
                                     const http::PeerInfo& peer,
                                     http::Respond respond) {
    const ImdsReply reply(request);
    auto parsed = parseImdsRequest(request);
    if (auto* failure = std::get_if<ImdsFailure>(&parsed)) {
        if (const auto suppressed = rejected_log_.admit()) {
            spdlog::debug("IMDS_REJECTED peer={} status={} reason={} suppressed={}", peerText(peer),
                          static_cast<unsigned>(failure->status),
                          log::untrusted(failure->description), *suppressed);
        }
        respond(reply.error(*failure));
        return;
    }
    const ImdsCall& call = std::get<ImdsCall>(parsed);
    auto& limiter = call.route == ImdsRoute::kToken ? token_limiter_ : metadata_limiter_;
    // The uid is the kernel's (the owner of the client's socket); budgets are kept per uid.
    auto decision = limiter->admit(Caller{peer.uid, key_readers_.contains(peer.uid)});
    if (!decision.admission) {
        respond(reply.tooMany(decision.retry_after,
                              "Too many requests; retry after the time in Retry-After."));
        return;
    }
    // The slot is held until the answer is handed to the connection, wherever that happens.
    http::Respond admitted = [admission = std::move(decision.admission),
                              respond = std::move(respond)](http::Response&& response) mutable {
        respond(std::move(response));
        admission.reset();
    };
    switch (call.route) {
    case ImdsRoute::kVersions:
        answerVersions(request, admitted);
        return;
    case ImdsRoute::kInstance:
        answerInstance(request, call, admitted);
        return;
    case ImdsRoute::kToken:
        answerToken(request, call, peer, std::move(admitted));
        return;
    }
}

void HimdsService::answerVersions(const http::Request& request, const http::Respond& respond) {
    std::set<std::string_view> versions;
    for (const auto version : supportedTokenApiVersions()) {
        versions.insert(version);
    }
    for (const auto version : supportedInstanceApiVersions()) {
        versions.insert(version);
    }
    respond(ImdsReply(request).json(http::Status::ok, json{{"apiVersions", versions}}.dump()));
}

void HimdsService::answerInstance(const http::Request& request,
                                  const ImdsCall& call,
                                  const http::Respond& respond) {
    const ImdsReply reply(request);
    std::string format = "json";
    if (const auto found = call.query.find("format"); found != call.query.end()) {
        format = found->second;
    }
    if (format != "json" && format != "text") {
        respond(reply.error(invalidRequest("format must be json or text")));
        return;
    }
    if (!metadata_) {
        respond(reply.error({http::Status::not_found, "not_connected",
                             "This machine is not connected to Azure Arc: instance metadata is "
                             "available once 'azcmagent connect' has succeeded."}));
        return;
    }
    if (call.subpath.empty() && format == "json") {
        respond(reply.json(http::Status::ok, metadata_body_));
        return;
    }
    const auto node = metadataNode(*metadata_, call.subpath);
    if (!node) {
        respond(reply.error({http::Status::not_found, "not_found",
                             "No metadata at /metadata/instance/" + call.subpath + "."}));
        return;
    }
    if (format == "text") {
        respond(reply.body(http::Status::ok, metadataText(*node), "text/plain; charset=utf-8"));
        return;
    }
    respond(reply.json(http::Status::ok, node->dump()));
}

void HimdsService::answerToken(const http::Request& request,
                               const ImdsCall& call,
                               const http::PeerInfo& peer,
                               http::Respond respond) {
    const ImdsReply reply(request);
    const auto resource_entry = call.query.find("resource");
    if (resource_entry == call.query.end() || resource_entry->second.empty()) {
        respond(reply.error(invalidRequest("Required query variable 'resource' is missing.")));
        return;
    }
    const std::string& resource = resource_entry->second;
    if (!validResource(resource)) {
        respond(reply.error(invalidRequest("The resource is not a valid URI.")));
        return;
    }
    for (const auto key : kUserAssignedKeys) {
        if (call.query.contains(std::string(key))) {
            respond(reply.error(invalidRequest(
                "User-assigned identities are not supported: an Azure Arc-enabled server has "
                "only its system-assigned identity. Remove '" +
                std::string(key) + "'.")));
            return;
        }
    }
    bool bypass_cache = false;
    if (const auto found = call.query.find("bypass_cache"); found != call.query.end()) {
        if (boost::iequals(found->second, "true")) {
            bypass_cache = true;
        } else if (!boost::iequals(found->second, "false")) {
            respond(reply.error(invalidRequest("bypass_cache must be true or false.")));
            return;
        }
    }
    if (!identity_ || !token_cache_) {
        respond(reply.error(invalidRequest(
            "Identity not found: this machine is not connected to Azure Arc, so it has no "
            "managed identity. Run 'azcmagent connect' first.")));
        return;
    }

    const auto authorization = request.find(http::Field::authorization);
    if (authorization == request.end()) {
        auto issued = challenges_.issue();
        if (!issued) {
            if (challenges_.outstanding() >= kMaxOutstandingChallenges) {
                respond(reply.tooMany(std::chrono::seconds(1),
                                      "Too many challenges outstanding; retry later."));
                return;
            }
            spdlog::error("IMDS_CHALLENGE_FAILED {}", log::sanitize(issued.error().message));
            respond(reply.error({http::Status::internal_server_error, "challenge_unavailable",
                                 "The token challenge cannot be created; see himds.log."}));
            return;
        }
        armChallengeTimer();
        auto response =
            reply.error({http::Status::unauthorized, "unauthorized",
                         "Read the file named in WWW-Authenticate and repeat the request with "
                         "'Authorization: Basic <its content>'."});
        response.set(http::Field::www_authenticate,
                     ChallengeStore::wwwAuthenticateValue(issued.value()));
        respond(std::move(response));
        return;
    }
    const std::string_view header(authorization->value().data(), authorization->value().size());
    const auto secret = basicCredentials(header);
    if (!secret || !challenges_.redeem(*secret)) {
        if (const auto suppressed = refused_secret_log_.admit()) {
            spdlog::warn("IMDS_CHALLENGE_REFUSED wrong, reused or expired secret peer={} "
                         "suppressed={}",
                         peerText(peer), *suppressed);
        }
        respond(reply.error({http::Status::unauthorized, "invalid_client",
                             "The secret is wrong, was already used or has expired."}));
        return;
    }
    // What the caller says about itself is logged only now that it proved it may read the
    // challenge's key file, and only cut to a few printable characters.
    if (const auto client_id = request.find("Client-Id"); client_id != request.end()) {
        if (const auto suppressed = token_client_log_.admit()) {
            spdlog::info("IMDS_TOKEN_CLIENT clientId={} peer={} suppressed={}",
                         log::untrusted(
                             std::string_view(client_id->value().data(), client_id->value().size()),
                             log::kCallerFieldChars),
                         peerText(peer), *suppressed);
        }
    }

    withToken(resource, bypass_cache,
              [weak = weak_from_this(), reply, resource,
               respond = std::move(respond)](Result<ManagedIdentityToken> token) {
                  if (token) {
                      respond(reply.token(tokenResponseJson(token.value(), resource,
                                                            std::chrono::system_clock::now())));
                      return;
                  }
                  const int code = token.error().code;
                  const auto self = weak.lock();
                  if (const auto suppressed =
                          self ? self->token_failed_log_.admit() : std::nullopt) {
                      spdlog::warn("IMDS_TOKEN_FAILED resource={} reason={} suppressed={}",
                                   log::untrusted(resource, log::kCallerFieldChars),
                                   log::untrusted(token.error().message), *suppressed);
                  }
                  if (code >= 400 && code < 500) {
                      respond(reply.error(invalidRequest(token.error().message)));
                      return;
                  }
                  respond(reply.error({http::Status::internal_server_error, "upstream_unavailable",
                                       "No token: the control plane cannot be reached (" +
                                           token.error().message + ")."}));
              });
}

void HimdsService::withToken(const std::string& resource,
                             bool bypass_cache,
                             std::function<void(Result<ManagedIdentityToken>)> done) {
    if (!bypass_cache) {
        if (auto cached = token_cache_->peek(resource)) {
            done(std::move(*cached));
            return;
        }
    }
    // A miss blocks on the control plane: a worker waits, the io thread goes on serving.
    offload([cache = token_cache_, resource,
             bypass_cache] { return cache->get(resource, bypass_cache); },
            std::move(done));
}

void HimdsService::armChallengeTimer() {
    if (challenge_timer_armed_ || stopped_) {
        return;
    }
    const auto next = challenges_.nextExpiry();
    if (!next) {
        return;
    }
    challenge_timer_armed_ = true;
    challenge_timer_.expires_at(*next + std::chrono::milliseconds(10));
    challenge_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (!self) {
            return;
        }
        self->challenge_timer_armed_ = false;
        if (ec) {
            return;
        }
        // Expired keys leave the directory even when nobody calls again; no timer runs while no
        // challenge is outstanding, so an idle himds does not wake up.
        self->challenges_.purgeExpired();
        self->armChallengeTimer();
    });
}

void HimdsService::refreshMetadata() {
    if (!identity_) {
        metadata_.reset();
        metadata_body_.clear();
        return;
    }
    metadata_ = instanceMetadata(identity_->agent, synced_, facts_, security_);
    metadata_body_ = metadata_->dump();
}

void HimdsService::publishCredentials() {
    if (!identity_) {
        credentials_->publish(nullptr);
        return;
    }
    credentials_->publish(std::make_shared<const TokenCredentials>(
        TokenCredentials{identity_->machine, endpointFor(identity_->agent, local_config_)}));
}

} // namespace azcm::himds
