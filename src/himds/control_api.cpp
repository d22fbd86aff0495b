// The control socket of HimdsService (docs/protocol.md section 1).
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/daemon/control_router.hpp"
#include "common/json/json_document.hpp"
#include "common/log/log.hpp"
#include "common/utc_time.hpp"
#include "himds/himds_service.hpp"
#include "himds/issued_certificate.hpp"

namespace azcm::himds {

namespace {

using nlohmann::json;

constexpr int kMachineKeyBits = 2048;
constexpr std::size_t kMaxCommonNameLength = 64; // X.520 ub-common-name
constexpr std::size_t kMaxCertificateChainBytes = std::size_t{64} * 1024;

struct ApiError {
    http::Status status = http::Status::internal_server_error;
    std::string code;
    std::string message;
};

template <class T>
using ApiResult = boost::outcome_v2::result<T, ApiError, boost::outcome_v2::policy::terminate>;

// The shared control-socket answers, plus this file's ApiError.
struct ReplyShape : daemon::ReplyShape {
    using daemon::ReplyShape::error;
    using daemon::ReplyShape::ReplyShape;
    http::Response error(const ApiError& error) const {
        return daemon::ReplyShape::error(error.status, error.code, error.message);
    }
};

ApiError badRequest(std::string message) {
    return {http::Status::bad_request, "BadRequest", std::move(message)};
}

ApiResult<json> parseJsonObject(const http::Request& request) {
    auto body = jsondoc::parse(request.body(), "the request body");
    if (!body) {
        return badRequest(body.error().message);
    }
    if (!body.value().is_object()) {
        return badRequest("the body must be a JSON object");
    }
    return std::move(body).value();
}

bool validCommonName(const std::string& name) {
    if (name.empty() || name.size() > kMaxCommonNameLength) {
        return false;
    }
    for (const unsigned char c : name) {
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

} // namespace

std::unique_ptr<daemon::ControlRouter> HimdsService::makeControlRouter() {
    daemon::ControlRouterOptions options;
    options.daemon = "himds";
    options.access = options_.control_access;
    options.status_access = daemon::RouteAccess::anyone;
    options.status = [this] { return statusJson(); };
    options.reload = [this]() -> Result<json> {
        BOOST_OUTCOME_TRY(reloadLocalConfig());
        spdlog::info("CFG_RELOADED");
        return json::object();
    };
    options.request_shutdown = [weak = weak_from_this()] {
        if (auto self = weak.lock(); self && self->options_.request_shutdown) {
            self->options_.request_shutdown();
        }
    };
    options.executor = io_.get_executor();
    auto router = std::make_unique<daemon::ControlRouter>(std::move(options));
    // `handler`: a member taking the callback by value (it may answer later) or by reference (it
    // answers before returning).
    const auto route = [this](http::Verb verb, std::string path, auto handler) {
        return daemon::ControlRoute{
            verb, std::move(path), daemon::RouteAccess::privileged,
            [this, handler](const http::Request& request, std::string_view, http::Respond respond) {
                (this->*handler)(request, std::move(respond));
            }};
    };
    router->add(route(http::Verb::get, "/identity", &HimdsService::handleIdentity));
    router->add(route(http::Verb::post, "/identity/token", &HimdsService::handleServiceToken));
    router->add(route(http::Verb::post, "/identity/keys", &HimdsService::handleKeys));
    router->add(route(http::Verb::post, "/identity/activate", &HimdsService::handleActivate));
    router->add(route(http::Verb::post, "/identity/deactivate", &HimdsService::handleDeactivate));
    router->add(
        route(http::Verb::post, "/agentupgrade/result", &HimdsService::handleAgentUpgradeResult));
    return router;
}

void HimdsService::handleKeys(const http::Request& request, http::Respond respond) {
    const ReplyShape shape(request);
    auto body = parseJsonObject(request);
    if (!body) {
        respond(shape.error(body.error()));
        return;
    }
    const auto& document = body.value();
    if (!document.contains("commonName") || !document["commonName"].is_string() ||
        !validCommonName(document["commonName"].get<std::string>())) {
        respond(shape.error(badRequest("commonName must be a string of 1 to 64 printable "
                                       "characters")));
        return;
    }
    auto common_name = document["commonName"].get<std::string>();
    offload(
        [this, common_name]() -> ApiResult<json> {
            auto fail = [](const Error& error) {
                return ApiError{http::Status::internal_server_error, "KeyGenerationFailed",
                                error.message};
            };
            auto key = crypto::generateRsaPrivateKeyPem(kMachineKeyBits);
            if (!key) {
                return fail(key.error());
            }
            auto public_key = crypto::publicKeyDer(key.value());
            if (!public_key) {
                return fail(public_key.error());
            }
            auto csr = crypto::createCsrPem(key.value(), common_name);
            if (!csr) {
                return fail(csr.error());
            }
            {
                std::lock_guard lock(files_mutex_);
                if (auto written = files_.writePendingKey(key.value()); !written) {
                    return fail(written.error());
                }
            }
            spdlog::info("IDENTITY_KEYS_CREATED commonName={}", log::sanitize(common_name));
            return json{{"publicKey", crypto::base64Encode(public_key.value())},
                        {"csr", csr.value()}};
        },
        [shape, respond = std::move(respond)](ApiResult<json> result) {
            respond(result ? shape.json(http::Status::ok, result.value())
                           : shape.error(result.error()));
        });
}

void HimdsService::handleActivate(const http::Request& request, http::Respond respond) {
    const ReplyShape shape(request);
    auto body = parseJsonObject(request);
    if (!body) {
        respond(shape.error(body.error()));
        return;
    }
    const auto& document = body.value();
    if (!document.contains("certificate") || !document["certificate"].is_string() ||
        document["certificate"].get_ref<const std::string&>().empty() ||
        document["certificate"].get_ref<const std::string&>().size() > kMaxCertificateChainBytes) {
        respond(shape.error(badRequest("certificate must be a PEM string")));
        return;
    }
    auto chain = document["certificate"].get<std::string>();
    offload(
        [this, chain]() -> ApiResult<Identity> {
            auto agent = config::loadAgentConfig(paths_.agentConfig());
            if (!agent) {
                const bool missing = agent.error().code == exitcode::kConfigFileNotFound;
                return ApiError{http::Status::conflict,
                                missing ? "AgentConfigMissing" : "AgentConfigInvalid",
                                missing ? "agentconfig.json does not exist; azcmagent connect "
                                          "writes it before the activation"
                                        : agent.error().message};
            }
            auto trust = loadTrustAnchors(agent.value().cloud);
            if (!trust) {
                return ApiError{http::Status::internal_server_error, "TrustAnchorUnavailable",
                                trust.error().message};
            }
            std::lock_guard lock(files_mutex_);
            auto pending = files_.readPendingKey();
            if (!pending) {
                return ApiError{http::Status::conflict, "NoPendingKey",
                                "no pending key: POST /identity/keys comes first"};
            }
            auto public_key = crypto::publicKeyDer(pending.value());
            if (!public_key) {
                return ApiError{http::Status::internal_server_error, "PendingKeyUnreadable",
                                public_key.error().message};
            }
            auto check = checkIssuedCertificate(chain, public_key.value(), trust.value(),
                                                std::chrono::system_clock::now());
            switch (check.problem) {
            case CertificateProblem::kNone:
                break;
            case CertificateProblem::kUnreadable:
                return ApiError{http::Status::bad_request, "InvalidCertificate", check.message};
            case CertificateProblem::kKeyMismatch:
                return ApiError{http::Status::bad_request, "CertificateKeyMismatch", check.message};
            case CertificateProblem::kUntrusted:
                return ApiError{http::Status::bad_request, "CertificateUntrusted", check.message};
            }
            if (auto installed = files_.install(chain); !installed) {
                return ApiError{http::Status::internal_server_error, "InstallFailed",
                                installed.error().message};
            }
            const auto generation = ++generation_;
            return Identity{
                MachineIdentity{std::move(pending).value(), chain, std::move(check.leaf)},
                std::move(agent).value(), generation};
        },
        [this, shape, respond = std::move(respond)](ApiResult<Identity> result) {
            if (!result) {
                spdlog::warn("IDENTITY_ACTIVATION_REFUSED code={} reason={}", result.error().code,
                             log::sanitize(result.error().message));
                respond(shape.error(result.error()));
                return;
            }
            adoptIdentity(std::move(result).value());
            spdlog::info("IDENTITY_ACTIVATED resourceId={}", log::sanitize(synced_.resource_id));
            heartbeatNow(
                [this, shape, respond] { respond(shape.json(http::Status::ok, statusJson())); });
        });
}

void HimdsService::handleDeactivate(const http::Request& request, const http::Respond& respond) {
    const ReplyShape shape(request);
    Result<void> removed = ok();
    {
        std::lock_guard lock(files_mutex_);
        ++generation_;
        removed = files_.removeAll();
    }
    dropIdentity();
    if (!removed) {
        spdlog::error("IDENTITY_REMOVE_FAILED {}", log::sanitize(removed.error().message));
        respond(shape.error(
            {http::Status::internal_server_error, "RemoveFailed", removed.error().message}));
        return;
    }
    spdlog::info("IDENTITY_DEACTIVATED key and certificate deleted");
    respond(shape.json(http::Status::ok, json{{"status", kStatusDisconnected}}));
}

void HimdsService::handleIdentity(const http::Request& request, const http::Respond& respond) {
    const ReplyShape shape(request);
    if (!identity_) {
        respond(shape.error(
            {http::Status::conflict, "NotConnected", "the machine is not connected to Azure Arc"}));
        return;
    }
    const auto& agent = identity_->agent;
    respond(shape.json(http::Status::ok, json{{"resourceId", synced_.resource_id},
                                              {"vmId", synced_.vm_id},
                                              {"tenantId", agent.tenant_id},
                                              {"subscriptionId", agent.subscription_id},
                                              {"resourceGroup", agent.resource_group},
                                              {"resourceName", agent.resource_name},
                                              {"location", synced_.location},
                                              {"cloud", agent.cloud.name},
                                              {"agentStatus", status_.agentStatus()}}));
}

void HimdsService::handleServiceToken(const http::Request& request, http::Respond respond) {
    const ReplyShape shape(request);
    auto body = parseJsonObject(request);
    if (!body) {
        respond(shape.error(body.error()));
        return;
    }
    const auto& document = body.value();
    if (!document.contains("resource") || !document["resource"].is_string() ||
        !validResource(document["resource"].get_ref<const std::string&>())) {
        respond(shape.error(badRequest("resource must be 1 to 2048 printable characters")));
        return;
    }
    if (document.contains("bypassCache") && !document["bypassCache"].is_boolean()) {
        respond(shape.error(badRequest("bypassCache must be true or false")));
        return;
    }
    const bool bypass_cache = document.value("bypassCache", false);
    auto resource = document["resource"].get<std::string>();
    if (!identity_ || !token_cache_) {
        respond(shape.error(
            {http::Status::conflict, "NotConnected", "the machine is not connected to Azure Arc"}));
        return;
    }
    withToken(resource, bypass_cache,
              [shape, resource, respond = std::move(respond)](Result<ManagedIdentityToken> token) {
                  if (!token) {
                      respond(shape.error(
                          {http::Status::bad_gateway, "TokenUnavailable", token.error().message}));
                      return;
                  }
                  respond(shape.json(http::Status::ok,
                                     tokenResponseJson(token.value(), resource,
                                                       std::chrono::system_clock::now())));
              });
}

void HimdsService::handleAgentUpgradeResult(const http::Request& request, http::Respond respond) {
    const ReplyShape shape(request);
    auto body = parseJsonObject(request);
    if (!body) {
        respond(shape.error(body.error()));
        return;
    }
    auto attempt = parseAgentUpgradeResult(body.value());
    if (!attempt) {
        respond(shape.error(badRequest(attempt.error().message)));
        return;
    }
    attempt.value().timestamp = rfc3339Seconds(std::chrono::system_clock::now());
    offload(
        [this, attempt = std::move(attempt).value()]() -> ApiResult<AgentUpgradeAttempt> {
            std::lock_guard lock(files_mutex_);
            if (auto written = upgrade_file_.write(attempt); !written) {
                return ApiError{http::Status::internal_server_error, "StateWriteFailed",
                                written.error().message};
            }
            return attempt;
        },
        [this, shape, respond = std::move(respond)](ApiResult<AgentUpgradeAttempt> result) {
            if (!result) {
                spdlog::error("AGENT_UPGRADE_RESULT_NOT_KEPT {}",
                              log::sanitize(result.error().message));
                respond(shape.error(result.error()));
                return;
            }
            upgrade_attempt_ = std::move(result).value();
            spdlog::info("AGENT_UPGRADE_RESULT status={} desiredVersion={} correlationId={}",
                         upgrade_attempt_->status, log::sanitize(upgrade_attempt_->desired_version),
                         log::sanitize(upgrade_attempt_->correlation_id));
            // The control plane learns of it with the next heartbeat: make that one now.
            heartbeatSoon();
            respond(shape.json(http::Status::ok,
                               agentUpgradeStatusJson(upgrade_directive_, upgrade_attempt_)));
        });
}

} // namespace azcm::himds
