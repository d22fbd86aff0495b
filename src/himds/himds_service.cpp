#include "himds/himds_service.hpp"

#include "common/agent_version.hpp"
#include "common/config/proxy_policy.hpp"
#include "common/daemon/daemon_runner.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/ipc/control_access.hpp"
#include "common/log/log.hpp"
#include "common/platform/accounts.hpp"
#include "common/platform/process_identity.hpp"
#include "common/utc_time.hpp"

namespace azcm::himds {

Result<HimdsOptions> optionsFromEnvironment(const daemon::EnvironmentOptions& environment) {
    HimdsOptions options;
    options.privileged_uid = platform::effectiveUserId();
    BOOST_OUTCOME_TRY(port, environment.port("AZCM_IMDS_PORT", kDefaultImdsPort));
    options.imds_port = port;
    BOOST_OUTCOME_TRY(rate_limits, environment.onOff("AZCM_IMDS_RATE_LIMIT", true));
    options.imds_rate_limits = rate_limits;
    if (!environment.text("AZCM_ROOT")) {
        // Installed: the package creates the group; without it only root and himds read keys.
        options.token_group = platform::groupId("himds");
    } else if (const auto group = environment.text("AZCM_TOKEN_GROUP")) {
        options.token_group = platform::groupId(*group);
        if (!options.token_group) {
            return makeError(exitcode::kInvalidArgument,
                             "AZCM_TOKEN_GROUP names no group: " + *group);
        }
    }
    BOOST_OUTCOME_TRY(interval,
                      environment.seconds("AZCM_HEARTBEAT_INTERVAL", kDefaultHeartbeatInterval,
                                          std::chrono::seconds(1), std::chrono::hours(24)));
    options.heartbeat_interval = interval;
    options.environment_proxy = config::environmentProxy();
    return options;
}

Result<void> ensureDirectories(const Paths& paths, std::optional<platform::GroupId> token_group) {
    // Component by component, so a sandbox root's new parents get 0755 rather than the umask.
    // Only below the sandbox's root, or below the drive of an installed agent's data.
    const auto base = paths.isSandbox() ? paths.root() : paths.agentDataDir().root_path();
    auto directory = base;
    for (const auto& component : paths.agentDataDir().lexically_relative(base)) {
        directory /= component;
        BOOST_OUTCOME_TRY(fs::ensureDirectory(directory, {0755, {}}));
    }
    // The data directory itself on Linux, Config\ on Windows.
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.agentConfig().parent_path(), {0755, {}}));
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.certsDir(), {0700, {}}));
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.socketsDir(), {0755, {}}));
    // Group members read key files but never create or replace them: no group write.
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.tokensDir(), {0750, token_group}));
    return fs::ensureDirectory(paths.logDir(), {0755, {}});
}

std::shared_ptr<HimdsService> HimdsService::create(boost::asio::io_context& io,
                                                   boost::asio::thread_pool& workers,
                                                   Paths paths,
                                                   HimdsOptions options,
                                                   std::shared_ptr<IdentityServiceClient> client) {
    return std::shared_ptr<HimdsService>(
        new HimdsService(io, workers, std::move(paths), std::move(options), std::move(client)));
}

HimdsService::HimdsService(boost::asio::io_context& io,
                           boost::asio::thread_pool& workers,
                           Paths paths,
                           HimdsOptions options,
                           std::shared_ptr<IdentityServiceClient> client)
    : io_(io), workers_(workers), paths_(std::move(paths)), options_(std::move(options)),
      client_(std::move(client)), files_(paths_.certsDir()),
      upgrade_file_(paths_.certsDir() / "agentupgrade.json"), heartbeat_timer_(io),
      challenge_timer_(io),
      challenges_(paths_.tokensDir(), options_.token_group, options_.challenge_clock),
      key_readers_(options_.privileged_uid, options_.token_group),
      token_limiter_(RateLimiter::create(options_.imds_rate_limits
                                             ? std::optional<RouteLimits>(kTokenRouteLimits)
                                             : std::nullopt)),
      metadata_limiter_(RateLimiter::create(options_.imds_rate_limits
                                                ? std::optional<RouteLimits>(kMetadataRouteLimits)
                                                : std::nullopt)) {}

HimdsService::~HimdsService() = default;

Result<void> HimdsService::start() {
    BOOST_OUTCOME_TRY(ensureDirectories(paths_, options_.token_group));
    facts_ = platform::collectMachineFacts(options_.facts_root);
    security_ = collectSecurityFacts(options_.facts_root);
    if (auto usable = challenges_.validateDirectory(); !usable) {
        // Metadata and heartbeats still work; the token route refuses until it is fixed.
        spdlog::error("IMDS_TOKENS_DIR_UNUSABLE {}", log::sanitize(usable.error().message));
    }

    switch (files_.recoverInterruptedRenewal()) {
    case IdentityFiles::Recovery::kCompleted:
        spdlog::info("CERT_RENEWAL_RECOVERED the interrupted renewal was completed");
        break;
    case IdentityFiles::Recovery::kDiscarded:
        spdlog::warn("CERT_RENEWAL_DISCARDED an incomplete renewal was discarded");
        break;
    case IdentityFiles::Recovery::kNothing:
        break;
    }

    if (auto loaded = reloadLocalConfig(); !loaded) {
        return daemon::localConfigStartError(loaded.error());
    }

    router_ = makeControlRouter();
    server_ = std::make_unique<http::HttpServer>(
        io_.get_executor(),
        [weak = weak_from_this()](http::Request&& request, const http::PeerInfo& peer,
                                  http::Respond respond) {
            if (auto self = weak.lock()) {
                self->router_->handle(std::move(request), peer, std::move(respond));
            }
        });
    const auto socket = paths_.socketFor("himds");
    BOOST_OUTCOME_TRY(server_->listenLocal(socket, 0666));
    spdlog::info("IPC_LISTENING socket={}", socket.string());
    BOOST_OUTCOME_TRY(listenImds());

    loadAgentUpgradeAttempt();
    loadExistingIdentity();
    return ok();
}

void HimdsService::stop() {
    stopped_ = true;
    cancelHeartbeatTimer();
    challenge_timer_.cancel();
    if (server_) {
        server_->stop();
    }
    if (imds_server_) {
        imds_server_->stop();
    }
}

Result<void> HimdsService::reloadLocalConfig() {
    auto loaded = config::loadLocalConfig(paths_.localConfig());
    if (!loaded) {
        return loaded.error();
    }
    local_config_ = std::move(loaded).value();
    publishCredentials();
    const auto proxy = config::ProxyPolicy(local_config_, options_.environment_proxy).describe();
    spdlog::info("CFG_LOADED proxy={} bypass={}", proxy.empty() ? "none" : log::sanitize(proxy),
                 local_config_.proxy_bypass.size());
    return ok();
}

nlohmann::json HimdsService::statusJson() const {
    nlohmann::json status = {{"daemon", "himds"},
                             {"version", azcm::agentVersion()},
                             {"connected", identity_.has_value()},
                             {"resourceId", synced_.resource_id},
                             {"vmId", synced_.vm_id},
                             {"certificate", nullptr},
                             {"heartbeatIntervalSeconds", options_.heartbeat_interval.count()},
                             {"imds",
                              {{"port", imds_port_},
                               {"addresses", imds_addresses_},
                               {"rateLimits", options_.imds_rate_limits}}}};
    status_.addTo(status);
    status["agentUpgrade"] = agentUpgradeStatusJson(upgrade_directive_, upgrade_attempt_);
    if (identity_) {
        const auto& certificate = identity_->machine.certificate;
        status["certificate"] = {{"thumbprint", certificate.thumbprint_sha1_hex},
                                 {"notBefore", rfc3339Seconds(certificate.not_before)},
                                 {"notAfter", rfc3339Seconds(certificate.not_after)}};
        // A lapsed certificate is Expired even before the next heartbeat attempt notices it.
        if (certificateLapsed(certificate.not_after, std::chrono::system_clock::now())) {
            status["agentStatus"] = kStatusExpired;
        }
    }
    return status;
}

} // namespace azcm::himds
