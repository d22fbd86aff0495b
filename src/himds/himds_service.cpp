#include "himds_service.hpp"

#include "fs/atomic_file.hpp"
#include "log/log.hpp"
#include "rfc3339.hpp"

#include <cstdlib>
#include <stdexcept>

#include <unistd.h>

namespace azcm::himds {

HimdsOptions optionsFromEnvironment() {
    HimdsOptions options;
    options.privileged_uid = ::geteuid();
    // NOLINTBEGIN(concurrency-mt-unsafe): read once at start-up, before any thread exists
    const char* interval = std::getenv("AZCM_HEARTBEAT_INTERVAL");
    const char* proxy = std::getenv("HTTPS_PROXY");
    if (proxy == nullptr) {
        proxy = std::getenv("https_proxy");
    }
    // NOLINTEND(concurrency-mt-unsafe)
    auto parsed = parseHeartbeatInterval(interval != nullptr ? interval : "");
    if (!parsed) {
        throw std::invalid_argument(
            "AZCM_HEARTBEAT_INTERVAL must be a whole number of seconds between 1 and 86400");
    }
    options.heartbeat_interval = *parsed;
    if (proxy != nullptr && *proxy != '\0') {
        options.environment_proxy = proxy;
    }
    return options;
}

Result<void> ensureDirectories(const Paths& paths) {
    // Component by component, so a sandbox root's new parents get 0755 rather than the umask.
    auto directory = paths.root();
    for (const auto& component : paths.agentDataDir().lexically_relative(paths.root())) {
        directory /= component;
        BOOST_OUTCOME_TRY(fs::ensureDirectory(directory, {0755, {}}));
    }
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.certsDir(), {0700, {}}));
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths.socketsDir(), {0755, {}}));
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
      client_(std::move(client)), files_(paths_.certsDir()), heartbeat_timer_(io) {}

HimdsService::~HimdsService() = default;

Result<void> HimdsService::start() {
    BOOST_OUTCOME_TRY(ensureDirectories(paths_));

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
        spdlog::warn("CFG_LOAD_FAILED {}; using the defaults",
                     log::sanitize(loaded.error().message));
    }

    server_ = std::make_unique<http::HttpServer>(
        io_.get_executor(),
        [weak = weak_from_this()](http::Request&& request, const http::PeerInfo& peer,
                                  http::Respond respond) {
            if (auto self = weak.lock()) {
                self->handleRequest(std::move(request), peer, std::move(respond));
            }
        });
    const auto socket = paths_.socketFor("himds");
    BOOST_OUTCOME_TRY(server_->listenUnix(socket, 0666));
    spdlog::info("IPC_LISTENING socket={}", socket.string());

    loadExistingIdentity();
    return ok();
}

void HimdsService::stop() {
    stopped_ = true;
    cancelHeartbeatTimer();
    if (server_) {
        server_->stop();
    }
}

Result<void> HimdsService::reloadLocalConfig() {
    auto loaded = config::loadLocalConfig(paths_.localConfig());
    if (!loaded) {
        return loaded.error();
    }
    local_config_ = std::move(loaded).value();
    spdlog::info("CFG_LOADED proxy={}",
                 local_config_.proxy_url.empty() ? "none" : log::sanitize(local_config_.proxy_url));
    return ok();
}

nlohmann::json HimdsService::statusJson() const {
    nlohmann::json status = {{"daemon", "himds"},
                             {"version", AZCM_AGENT_VERSION},
                             {"connected", identity_.has_value()},
                             {"resourceId", resource_id_},
                             {"vmId", vm_id_},
                             {"certificate", nullptr},
                             {"heartbeatIntervalSeconds", options_.heartbeat_interval.count()}};
    status_.addTo(status);
    if (identity_) {
        const auto& certificate = identity_->machine.certificate;
        status["certificate"] = {{"thumbprint", certificate.thumbprint_sha1_hex},
                                 {"notBefore", formatRfc3339(certificate.not_before)},
                                 {"notAfter", formatRfc3339(certificate.not_after)}};
        // A lapsed certificate is Expired even before the next heartbeat attempt notices it.
        if (certificateLapsed(certificate.not_after, std::chrono::system_clock::now())) {
            status["agentStatus"] = kStatusExpired;
        }
    }
    return status;
}

} // namespace azcm::himds
