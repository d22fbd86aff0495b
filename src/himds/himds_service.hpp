#pragma once
// The himds daemon minus main(): the control socket (docs/protocol.md section 1), the machine
// identity and the heartbeat loop. State lives on the io_context thread; key generation, file
// work on the identity and every call to the identity service run on the worker pool and post
// their results back.
#include "common/config/agent_config.hpp"
#include "common/config/local_config.hpp"
#include "common/daemon/control_router.hpp"
#include "common/daemon/environment_options.hpp"
#include "common/error.hpp"
#include "common/http/http_server.hpp"
#include "common/ipc/control_access.hpp"
#include "common/log/rate_limited_log.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/local_peer.hpp"
#include "common/platform/machine_facts.hpp"
#include "common/platform/os_types.hpp"
#include "himds/agent_upgrade_state.hpp"
#include "himds/challenge_store.hpp"
#include "himds/connection_status.hpp"
#include "himds/heartbeat_policy.hpp"
#include "himds/identity_client.hpp"
#include "himds/identity_files.hpp"
#include "himds/imds_request.hpp"
#include "himds/instance_metadata.hpp"
#include "himds/key_readers.hpp"
#include "himds/rate_limiter.hpp"
#include "himds/token_cache.hpp"
#include "himds/token_fetcher.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <nlohmann/json.hpp>

namespace azcm::himds {

inline constexpr std::uint16_t kDefaultImdsPort = 40342;

struct HimdsOptions {
    std::chrono::seconds heartbeat_interval = kDefaultHeartbeatInterval;
    // IMDS callers whose budget is the key readers' (with token_group): uid 0 and this uid.
    platform::UserId privileged_uid = 0;
    // Who may use the control socket's privileged routes: the administrator and himds's own
    // account. Nothing of himds is for a reader group.
    ipc::ControlAccessPolicy control_access = platform::ownAccountPolicy();
    // Where machine facts are read from ("/" in production, a fake tree in tests).
    std::filesystem::path facts_root = "/";
    // HTTPS_PROXY of the environment at start, used when localconfig has no proxy.url.
    std::optional<std::string> environment_proxy;
    // POST /shutdown: the daemon runner's requestShutdown.
    std::function<void()> request_shutdown;
    // IMDS listener on 127.0.0.1 and [::1]; 0 picks a free port (reported by GET /status).
    std::uint16_t imds_port = kDefaultImdsPort;
    // Off only for benchmarks (AZCM_IMDS_RATE_LIMIT=off).
    bool imds_rate_limits = true;
    // The group that may read challenge key files: `himds` when installed.
    std::optional<platform::GroupId> token_group;
    // Time of the challenge store (tests age challenges without waiting a minute).
    SteadyClock challenge_clock = steadyClock();
};

// Reads the options himds takes from its environment: AZCM_HEARTBEAT_INTERVAL, HTTPS_PROXY,
// AZCM_IMDS_PORT, AZCM_IMDS_RATE_LIMIT, and the token group (`himds` when AZCM_ROOT is unset,
// AZCM_TOKEN_GROUP in a sandbox). A bad value is an error naming the variable.
Result<HimdsOptions> optionsFromEnvironment(const daemon::EnvironmentOptions& environment = {});

// The directories himds needs, with their modes: the agent data directory and its missing parents
// 0755, certs 0700, socks and log 0755, tokens 0750 with `token_group`. Existing directories are
// left as they are. main calls it before the log file is opened, so the log does not create them
// under the daemon's umask.
Result<void> ensureDirectories(const Paths& paths,
                               std::optional<platform::GroupId> token_group = {});

class HimdsService : public std::enable_shared_from_this<HimdsService> {
public:
    static std::shared_ptr<HimdsService> create(boost::asio::io_context& io,
                                                boost::asio::thread_pool& workers,
                                                Paths paths,
                                                HimdsOptions options,
                                                std::shared_ptr<IdentityServiceClient> client);
    ~HimdsService();
    HimdsService(const HimdsService&) = delete;
    HimdsService& operator=(const HimdsService&) = delete;
    HimdsService(HimdsService&&) = delete;
    HimdsService& operator=(HimdsService&&) = delete;

    // Creates the directories, finishes an interrupted renewal, loads localconfig.json and an
    // existing identity, binds the control socket and, with an identity, heartbeats at once.
    // Call on the io_context thread (or before it runs).
    Result<void> start();
    // Closes the socket and cancels the heartbeat timer so the io_context can return.
    void stop();
    // Re-reads localconfig.json; a bad file keeps the settings in force.
    Result<void> reloadLocalConfig();

    nlohmann::json statusJson() const;
    // The bound IMDS port (0 before start()).
    std::uint16_t imdsPort() const { return imds_port_; }

private:
    struct Identity {
        MachineIdentity machine;
        config::AgentConfig agent;
        std::uint64_t generation = 0;
    };
    struct HeartbeatOutcome;

    HimdsService(boost::asio::io_context& io,
                 boost::asio::thread_pool& workers,
                 Paths paths,
                 HimdsOptions options,
                 std::shared_ptr<IdentityServiceClient> client);

    // Runs `work` on the worker pool, then `done(result)` on the io_context thread if the service
    // still exists.
    template <class Work, class Done> void offload(Work work, Done done);

    // Control API (control_api.cpp).
    std::unique_ptr<daemon::ControlRouter> makeControlRouter();
    void handleKeys(const http::Request& request, http::Respond respond);
    void handleActivate(const http::Request& request, http::Respond respond);
    void handleDeactivate(const http::Request& request, const http::Respond& respond);
    void handleIdentity(const http::Request& request, const http::Respond& respond);
    void handleServiceToken(const http::Request& request, http::Respond respond);
    void handleAgentUpgradeResult(const http::Request& request, http::Respond respond);

    // IMDS REST API (imds_api.cpp).
    Result<void> listenImds();
    void
    handleImdsRequest(http::Request&& request, const http::PeerInfo& peer, http::Respond respond);
    void answerInstance(const http::Request& request,
                        const ImdsCall& call,
                        const http::Respond& respond);
    void answerToken(const http::Request& request,
                     const ImdsCall& call,
                     const http::PeerInfo& peer,
                     http::Respond respond);
    void answerVersions(const http::Request& request, const http::Respond& respond);
    // The current identity's token for `resource`: a cache hit at once on the io thread, a miss
    // (or bypass_cache) from a worker; `done` runs on the io thread either way.
    void withToken(const std::string& resource,
                   bool bypass_cache,
                   std::function<void(Result<ManagedIdentityToken>)> done);
    void armChallengeTimer();
    // Rebuilds the instance metadata after the identity or the synced metadata changed.
    void refreshMetadata();
    // Hands the current certificate and endpoint to token fetches on the workers.
    void publishCredentials();

    // Heartbeat loop (heartbeat_loop.cpp).
    void loadExistingIdentity();
    // The attempt of certs/agentupgrade.json, reported by every heartbeat from the first on.
    void loadAgentUpgradeAttempt();
    void adoptIdentity(Identity identity);
    void dropIdentity();
    void scheduleHeartbeat(std::chrono::seconds delay);
    void cancelHeartbeatTimer();
    // Starts a heartbeat (with renewal when due) unless one is already running for this
    // identity; `done` runs after its outcome was applied (or at once when none starts).
    void heartbeatNow(std::function<void()> done);
    // heartbeatNow, or right after the one running: its body may predate what must be sent.
    void heartbeatSoon();
    HeartbeatOutcome runHeartbeat(const Identity& identity,
                                  const config::LocalConfig& local,
                                  const std::optional<AgentUpgradeAttempt>& upgrade_attempt);
    Result<MachineIdentity> renewCertificate(const Identity& identity,
                                             const ServiceEndpoint& endpoint);
    void applyOutcome(HeartbeatOutcome outcome);
    ServiceEndpoint endpointFor(const config::AgentConfig& agent,
                                const config::LocalConfig& local) const;

    boost::asio::io_context& io_;
    boost::asio::thread_pool& workers_;
    Paths paths_;
    HimdsOptions options_;
    std::shared_ptr<IdentityServiceClient> client_;
    IdentityFiles files_;
    AgentUpgradeFile upgrade_file_;
    std::unique_ptr<daemon::ControlRouter> router_;
    std::unique_ptr<http::HttpServer> server_;
    std::unique_ptr<http::HttpServer> imds_server_;
    boost::asio::steady_timer heartbeat_timer_;
    boost::asio::steady_timer challenge_timer_;
    ChallengeStore challenges_;
    KeyReaders key_readers_;
    std::shared_ptr<RateLimiter> token_limiter_;
    std::shared_ptr<RateLimiter> metadata_limiter_;
    // Lines any local caller can cause, each kept from flooding the log (thread-safe).
    log::RateLimitedLog rejected_log_;
    log::RateLimitedLog refused_secret_log_;
    log::RateLimitedLog token_client_log_{60};
    log::RateLimitedLog token_failed_log_;
    std::shared_ptr<CredentialSlot> credentials_ = std::make_shared<CredentialSlot>();

    // io_context thread only.
    config::LocalConfig local_config_;
    std::optional<Identity> identity_;
    ConnectionStatus status_;
    SyncedMetadata synced_;
    AgentUpgradeDirective upgrade_directive_;
    std::optional<AgentUpgradeAttempt> upgrade_attempt_;
    platform::MachineFacts facts_;
    SecurityFacts security_;
    // Instance metadata of the current identity, and its serialisation for the whole-tree route.
    std::optional<nlohmann::json> metadata_;
    std::string metadata_body_;
    // One cache per identity: a new identity never sees the tokens of the previous one.
    std::shared_ptr<TokenCache> token_cache_;
    std::uint16_t imds_port_ = 0;
    std::vector<std::string> imds_addresses_;
    bool challenge_timer_armed_ = false;
    bool heartbeat_running_ = false;
    bool heartbeat_again_ = false; // heartbeatSoon() came while a heartbeat ran
    std::uint64_t timer_generation_ = 0;
    bool stopped_ = false;

    // Serialises every change to the certs directory between the io thread and the workers.
    // `generation_` counts identities (activate, deactivate); a worker commits a renewal only if
    // the identity it renewed is still the current one.
    std::mutex files_mutex_;
    std::atomic<std::uint64_t> generation_{0};
};

template <class Work, class Done> void HimdsService::offload(Work work, Done done) {
    boost::asio::post(workers_, [self = shared_from_this(), work = std::move(work),
                                 done = std::move(done)]() mutable {
        auto result = work();
        // Only a weak reference travels back: a result that arrives after the daemon stopped must
        // not keep the service alive inside the io_context's queue.
        std::weak_ptr<HimdsService> weak = self;
        boost::asio::post(self->io_,
                          [weak, result = std::move(result), done = std::move(done)]() mutable {
                              if (auto alive = weak.lock()) {
                                  done(std::move(result));
                              }
                          });
    });
}

} // namespace azcm::himds
