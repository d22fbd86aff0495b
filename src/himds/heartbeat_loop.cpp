// The heartbeat loop of HimdsService: identity life cycle, heartbeat and certificate renewal.
#include "common/config/proxy_policy.hpp"
#include "common/crypto/keys.hpp"
#include "common/json/json_fields.hpp"
#include "common/log/log.hpp"
#include "common/platform/machine_facts.hpp"
#include "common/utc_time.hpp"
#include "himds/heartbeat_body.hpp"
#include "himds/himds_service.hpp"
#include "himds/issued_certificate.hpp"

#include <utility>

#include <boost/asio/post.hpp>

namespace azcm::himds {

namespace {

constexpr const char* kHeartbeatRoute = "/machines/heartbeat";
constexpr const char* kRenewRoute = "/machines/certificate/renew";
constexpr int kMachineKeyBits = 2048;

constexpr const char* kHeartbeatAnswer = "the identity service's heartbeat answer";

// The fields of a heartbeat answer that update the instance metadata; absent ones keep `synced`'s
// value. A field of the wrong type makes the whole answer an error naming it.
Result<SyncedMetadata> readHeartbeatAnswer(const nlohmann::json& body, SyncedMetadata synced) {
    const auto update = [&body](const char* key, std::string& field) -> Result<void> {
        BOOST_OUTCOME_TRY(value, jsondoc::getOptionalString(body, key, kHeartbeatAnswer));
        if (value && !value->empty()) {
            field = std::move(*value);
        }
        return ok();
    };
    BOOST_OUTCOME_TRY(update("vmId", synced.vm_id));
    BOOST_OUTCOME_TRY(update("resourceId", synced.resource_id));
    BOOST_OUTCOME_TRY(update("location", synced.location));
    BOOST_OUTCOME_TRY(tags, jsondoc::getOptionalObject(body, "tags", kHeartbeatAnswer));
    if (tags != nullptr) {
        std::map<std::string, std::string> copied;
        for (const auto& [name, value] : tags->items()) {
            BOOST_OUTCOME_TRY(text, jsondoc::asString(value, jsondoc::fieldName(kHeartbeatAnswer,
                                                                                "tags." + name)));
            copied[name] = std::move(text);
        }
        synced.tags = std::move(copied);
    }
    return synced;
}

} // namespace

struct HimdsService::HeartbeatOutcome {
    std::uint64_t generation = 0;
    std::optional<MachineIdentity> renewed;
    std::optional<std::string> renewal_error;
    std::optional<ServiceReply> reply; // empty: transport failure
    std::string transport_error;
    std::chrono::system_clock::time_point finished;
    platform::MachineFacts facts;
};

void HimdsService::loadExistingIdentity() {
    if (!files_.hasIdentity()) {
        spdlog::info("IDENTITY_NONE the machine is not connected");
        return;
    }
    auto agent = config::loadAgentConfig(paths_.agentConfig());
    if (!agent) {
        spdlog::error("IDENTITY_LOAD_FAILED {}", log::sanitize(agent.error().message));
        status_.noteError(std::chrono::system_clock::now(), "IdentityLoadFailed",
                          agent.error().message);
        return;
    }
    std::unique_lock lock(files_mutex_);
    auto machine = files_.load();
    if (!machine) {
        lock.unlock();
        spdlog::error("IDENTITY_LOAD_FAILED {}", log::sanitize(machine.error().message));
        status_.noteError(std::chrono::system_clock::now(), "IdentityLoadFailed",
                          machine.error().message);
        return;
    }
    const auto generation = ++generation_;
    lock.unlock();
    adoptIdentity(Identity{std::move(machine).value(), std::move(agent).value(), generation});
    heartbeatNow(nullptr);
}

void HimdsService::loadAgentUpgradeAttempt() {
    auto attempt = upgrade_file_.read();
    if (!attempt) {
        spdlog::warn("AGENT_UPGRADE_STATE_UNUSABLE file={} {}", upgrade_file_.path().string(),
                     log::sanitize(attempt.error().message));
        return;
    }
    upgrade_attempt_ = std::move(attempt).value();
}

void HimdsService::adoptIdentity(Identity identity) {
    cancelHeartbeatTimer();
    status_.reset();
    heartbeat_running_ = false;
    heartbeat_again_ = false;
    upgrade_directive_ = {};
    synced_.resource_id = identity.agent.resourceId();
    synced_.vm_id = identity.agent.vm_id;
    synced_.location = identity.agent.location;
    synced_.tags = identity.agent.tags;
    spdlog::info("IDENTITY_LOADED resourceId={} thumbprint={} notAfter={}",
                 log::sanitize(synced_.resource_id),
                 identity.machine.certificate.thumbprint_sha1_hex,
                 rfc3339Seconds(identity.machine.certificate.not_after));
    identity_ = std::move(identity);
    token_cache_ = std::make_shared<TokenCache>(makeIdentityServiceFetcher(client_, credentials_));
    publishCredentials();
    refreshMetadata();
}

void HimdsService::dropIdentity() {
    cancelHeartbeatTimer();
    identity_.reset();
    status_.reset();
    heartbeat_running_ = false;
    heartbeat_again_ = false;
    synced_ = {};
    upgrade_directive_ = {};
    token_cache_.reset();
    publishCredentials();
    refreshMetadata();
}

void HimdsService::scheduleHeartbeat(std::chrono::seconds delay) {
    if (stopped_) {
        return;
    }
    const auto generation = ++timer_generation_;
    heartbeat_timer_.expires_after(delay);
    heartbeat_timer_.async_wait(
        [weak = weak_from_this(), generation](const boost::system::error_code& ec) {
            auto self = weak.lock();
            // A timer that fired just before it was cancelled still reports success: the
            // generation tells a stale expiry from the current one.
            if (ec || !self || generation != self->timer_generation_) {
                return;
            }
            self->heartbeatNow(nullptr);
        });
}

void HimdsService::cancelHeartbeatTimer() {
    ++timer_generation_;
    heartbeat_timer_.cancel();
}

void HimdsService::heartbeatNow(std::function<void()> done) {
    auto finish = [&done] {
        if (done) {
            done();
        }
    };
    if (stopped_ || !identity_) {
        finish();
        return;
    }
    const auto now = std::chrono::system_clock::now();
    const auto& certificate = identity_->machine.certificate;
    if (certificateLapsed(certificate.not_after, now)) {
        // Nothing the daemon can do alone: a lapsed certificate cannot authenticate a renewal.
        if (status_.agentStatus() != kStatusExpired) {
            spdlog::error("CERT_EXPIRED notAfter={}; heartbeats stop until the machine is "
                          "connected again",
                          rfc3339Seconds(certificate.not_after));
        }
        status_.certificateExpired(now, certificate.not_after);
        finish();
        return;
    }
    if (heartbeat_running_) {
        finish();
        return;
    }
    heartbeat_running_ = true;
    offload([this, identity = *identity_, local = local_config_,
             attempt = upgrade_attempt_] { return runHeartbeat(identity, local, attempt); },
            [this, done = std::move(done)](HeartbeatOutcome outcome) {
                applyOutcome(std::move(outcome));
                if (done) {
                    done();
                }
            });
}

void HimdsService::heartbeatSoon() {
    if (heartbeat_running_) {
        heartbeat_again_ = true;
        return;
    }
    heartbeatNow(nullptr);
}

ServiceEndpoint HimdsService::endpointFor(const config::AgentConfig& agent,
                                          const config::LocalConfig& local) const {
    ServiceEndpoint endpoint;
    endpoint.identity_url = agent.cloud.endpoints.identity;
    endpoint.ca_file = agent.cloud.ca_cert_path;
    // Every call of himds goes to the hybrid identity service: the `Arc` service of proxy.bypass.
    endpoint.proxy = config::ProxyPolicy(local, options_.environment_proxy)
                         .proxyFor(config::TargetService::kArc);
    return endpoint;
}

// Worker thread.
HimdsService::HeartbeatOutcome
HimdsService::runHeartbeat(const Identity& identity,
                           const config::LocalConfig& local,
                           const std::optional<AgentUpgradeAttempt>& upgrade_attempt) {
    HeartbeatOutcome outcome;
    outcome.generation = identity.generation;
    const auto endpoint = endpointFor(identity.agent, local);
    MachineIdentity current = identity.machine;
    const auto& certificate = identity.machine.certificate;
    if (renewalDue(certificate.not_before, certificate.not_after,
                   std::chrono::system_clock::now())) {
        spdlog::info("CERT_RENEWAL_DUE notAfter={}", rfc3339Seconds(certificate.not_after));
        auto renewed = renewCertificate(identity, endpoint);
        if (renewed) {
            current = renewed.value();
            outcome.renewed = current;
        } else {
            outcome.renewal_error = renewed.error().message;
            spdlog::warn("CERT_RENEWAL_FAILED {}", log::sanitize(renewed.error().message));
        }
    }
    outcome.facts = platform::collectMachineFacts(options_.facts_root);
    auto reply = client_->post(endpoint, current, kHeartbeatRoute,
                               heartbeatBody(outcome.facts, local, upgrade_attempt));
    if (reply) {
        outcome.reply = std::move(reply).value();
    } else {
        outcome.transport_error = reply.error().message;
    }
    outcome.finished = std::chrono::system_clock::now();
    return outcome;
}

// Worker thread.
Result<MachineIdentity> HimdsService::renewCertificate(const Identity& identity,
                                                       const ServiceEndpoint& endpoint) {
    BOOST_OUTCOME_TRY(key, crypto::generateRsaPrivateKeyPem(kMachineKeyBits));
    BOOST_OUTCOME_TRY(public_key, crypto::publicKeyDer(key));
    BOOST_OUTCOME_TRY(csr,
                      crypto::createCsrPem(key, identity.machine.certificate.subject_common_name));
    BOOST_OUTCOME_TRY(reply, client_->post(endpoint, identity.machine, kRenewRoute,
                                           nlohmann::json{{"csr", csr}}));
    if (reply.status != 200) {
        return makeError(exitcode::kCertificateDownload,
                         "the identity service refused the renewal: " +
                             describeServiceError(reply));
    }
    BOOST_OUTCOME_TRY(certificate_pem,
                      jsondoc::withCode(jsondoc::getString(reply.body, "certificate",
                                                           "the identity service's renewal answer"),
                                        exitcode::kCertificateDownload));
    if (certificate_pem.empty()) {
        return makeError(exitcode::kCertificateDownload,
                         "the renewal answer carries no certificate");
    }
    BOOST_OUTCOME_TRY(trust, loadTrustAnchors(identity.agent.cloud));
    auto check = checkIssuedCertificate(certificate_pem, public_key, trust,
                                        std::chrono::system_clock::now());
    if (check.problem != CertificateProblem::kNone) {
        return makeError(exitcode::kCertificateDownload,
                         "renewed certificate refused: " + check.message);
    }
    {
        std::lock_guard lock(files_mutex_);
        if (generation_ != identity.generation) {
            return makeError(exitcode::kGeneric, "the identity changed during the renewal");
        }
        auto persisted = files_.stageRenewal(key, certificate_pem);
        if (persisted) {
            persisted = files_.commitRenewal();
        } else {
            files_.discardRenewal();
        }
        if (!persisted) {
            // The service accepts only the new certificate from now on, so it stays in use in
            // memory even though the disk still holds the old pair.
            spdlog::error("CERT_RENEWAL_PERSIST_FAILED {}",
                          log::sanitize(persisted.error().message));
        }
    }
    spdlog::info("CERT_RENEWED thumbprint={} notAfter={}", check.leaf.thumbprint_sha1_hex,
                 rfc3339Seconds(check.leaf.not_after));
    return MachineIdentity{std::move(key), certificate_pem, std::move(check.leaf)};
}

void HimdsService::applyOutcome(HeartbeatOutcome outcome) {
    if (!identity_ || outcome.generation != identity_->generation) {
        return; // the identity was replaced or removed meanwhile
    }
    heartbeat_running_ = false;
    if (outcome.renewed) {
        identity_->machine = std::move(*outcome.renewed);
        publishCredentials();
    }
    facts_ = std::move(outcome.facts);
    if (stopped_) {
        return;
    }
    const auto now = outcome.finished;
    if (outcome.reply && outcome.reply->status == 200) {
        status_.heartbeatSucceeded(now);
        if (auto answer = readHeartbeatAnswer(outcome.reply->body, synced_); answer) {
            synced_ = std::move(answer).value();
        } else {
            spdlog::warn("HEARTBEAT_ANSWER_INVALID {}", log::sanitize(answer.error().message));
        }
        if (auto directive = readAgentUpgradeDirective(outcome.reply->body); directive) {
            upgrade_directive_ = std::move(directive).value();
        } else {
            spdlog::warn("HEARTBEAT_ANSWER_INVALID {}", log::sanitize(directive.error().message));
        }
        if (outcome.renewal_error) {
            status_.noteError(now, "CertificateRenewalFailed", *outcome.renewal_error);
        }
        spdlog::info("HEARTBEAT_OK resourceId={}", log::sanitize(synced_.resource_id));
    } else {
        std::string code = "HeartbeatFailed";
        std::string message;
        if (!outcome.reply) {
            message = "cannot reach the identity service: " + outcome.transport_error;
        } else if (outcome.reply->status == 404) {
            code = "ResourceNotFound";
            message = "the machine resource no longer exists in the control plane (or this "
                      "certificate is no longer its current one): " +
                      describeServiceError(*outcome.reply);
        } else if (outcome.reply->status == 401 || outcome.reply->status == 403) {
            code = "Unauthorized";
            message = "the identity service refused the machine certificate: " +
                      describeServiceError(*outcome.reply);
        } else {
            message = "the identity service answered " + describeServiceError(*outcome.reply);
        }
        spdlog::warn("HEARTBEAT_FAILED code={} reason={}", code, log::sanitize(message));
        status_.heartbeatFailed(now, std::move(code), std::move(message));
    }
    refreshMetadata();
    // A failed heartbeat keeps its backoff even when another was asked for meanwhile.
    const bool again = std::exchange(heartbeat_again_, false) && status_.consecutiveFailures() == 0;
    scheduleHeartbeat(
        again ? std::chrono::seconds(0)
              : nextHeartbeatDelay(options_.heartbeat_interval, status_.consecutiveFailures()));
}

} // namespace azcm::himds
