#include "extservice/ext_service.hpp"

#include "common/agent_service/agent_service_client.hpp"
#include "common/config/agent_config.hpp"
#include "common/config/extension_destinations.hpp"
#include "common/config/proxy_policy.hpp"
#include "common/daemon/daemon_runner.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/log/log.hpp"
#include "common/platform/malloc_tuning.hpp"
#include "extservice/reconciler.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace azcm::extservice {

namespace {

// Sets a flag for the lifetime of a scope, however the scope is left.
class BusyWhile {
public:
    explicit BusyWhile(std::atomic<bool>& flag) : flag_(flag) { flag_ = true; }
    BusyWhile(const BusyWhile&) = delete;
    BusyWhile& operator=(const BusyWhile&) = delete;
    BusyWhile(BusyWhile&&) = delete;
    BusyWhile& operator=(BusyWhile&&) = delete;
    ~BusyWhile() { flag_ = false; }

private:
    std::atomic<bool>& flag_;
};

using nlohmann::json;

// One directory and its missing parents, each new one with `mode` (not the daemon's umask).
Result<void>
ensureTree(const Paths& paths, const std::filesystem::path& directory, platform::FileMode mode) {
    auto current = paths.root();
    for (const auto& component : directory.lexically_relative(paths.root())) {
        current /= component;
        BOOST_OUTCOME_TRY(fs::ensureDirectory(current, {current == directory ? mode : 0755, {}}));
    }
    return ok();
}

// arcproxy forwards extension traffic to listed destinations only: the hosts the goal state's
// packages come from are published for it.
void publishDestinations(const Paths& paths, const GoalState& goal) {
    std::vector<std::string> urls;
    for (const auto& extension : goal.extensions) {
        if (!extension.uninstall() && extension.package) {
            urls.push_back(extension.package->url);
        }
    }
    if (auto published = config::publishExtensionDestinations(paths.extensionDestinations(),
                                                              config::destinationsOfUrls(urls));
        !published) {
        spdlog::warn("EXT_DESTINATIONS_NOT_PUBLISHED {}", log::sanitize(published.error().message));
    }
}

} // namespace

Result<void> ensureDirectories(const Paths& paths) {
    BOOST_OUTCOME_TRY(ensureTree(paths, paths.socketsDir(), 0755));
    BOOST_OUTCOME_TRY(ensureTree(paths, paths.extensionsDir(), 0755));
    BOOST_OUTCOME_TRY(ensureTree(paths, paths.downloadsDir(), 0700));
    BOOST_OUTCOME_TRY(ensureTree(paths, paths.extensionLogsDir(), 0755));
    BOOST_OUTCOME_TRY(ensureTree(paths, paths.extensionManagerLog().parent_path(), 0755));
    BOOST_OUTCOME_TRY(ensureTree(paths, paths.extensionStateDir(), 0700));
    return ok();
}

std::string loadSigningRoot(const Paths& paths) {
    auto agent = config::loadAgentConfig(paths.agentConfig());
    if (!agent || agent.value().cloud.package_signing_root_path.empty()) {
        return {};
    }
    auto pem = fs::readFile(agent.value().cloud.package_signing_root_path, 1 << 20);
    if (!pem) {
        spdlog::warn("EXT_SIGNING_ROOT_UNREADABLE {}", log::sanitize(pem.error().message));
        return {};
    }
    return std::move(pem).value();
}

std::shared_ptr<ExtService> ExtService::create(boost::asio::io_context& io,
                                               boost::asio::thread_pool& workers,
                                               Paths paths,
                                               ExtOptions options,
                                               std::function<void()> request_shutdown) {
    return std::shared_ptr<ExtService>(new ExtService(
        io, workers, std::move(paths), std::move(options), std::move(request_shutdown)));
}

ExtService::ExtService(boost::asio::io_context& io,
                       boost::asio::thread_pool& workers,
                       Paths paths,
                       ExtOptions options,
                       std::function<void()> request_shutdown)
    : io_(io), workers_(workers), paths_(std::move(paths)), options_(std::move(options)),
      request_shutdown_(std::move(request_shutdown)),
      state_(paths_.extensionStateDir() / "extensions.json"), tokens_(paths_.socketFor("himds")),
      sample_timer_(io) {}

ExtService::~ExtService() = default;

Result<void> ExtService::start() {
    auto local = config::loadLocalConfig(paths_.localConfig());
    if (!local) {
        return daemon::localConfigStartError(local.error());
    }
    local_ = local.value();
    if (auto loaded = state_.load(); !loaded) {
        spdlog::warn("EXT_STATE_UNREADABLE {} (starting from an empty state)",
                     log::sanitize(loaded.error().message));
    }

    caps_ = std::make_unique<ExtensionCpuCaps>(
        std::make_unique<platform::CpuLimiter>(platform::CpuLimiter::fromEnvironment("extd")),
        static_cast<unsigned>(local_.extensions_cpu_limit));
    if (auto confined = caps_->confineDaemon(); !confined) {
        spdlog::warn("CPU_CAP_FAILED component=extservice error={}",
                     log::sanitize(confined.error().message));
    }

    extservice::HandlerManagerOptions handler_options;
    handler_options.paths = paths_;
    handler_options.timeouts = extservice::CommandTimeouts::fromEnvironment();
    handler_options.cpu_group = [caps = caps_.get()](const extservice::HandlerId& id,
                                                     const extservice::HandlerManifest& manifest) {
        return caps->handlerGroup(id.name(), id.type, manifest.cpu_quota_percentage);
    };
    handlers_ = std::make_unique<extservice::HandlerManager>(std::move(handler_options));
    // Groups of handlers installed before this start, so their caps hold and show at once.
    for (const auto& handler : handlers_->installed()) {
        auto manifest =
            extservice::loadHandlerManifest(paths_.extensionsDir() / handler.id.dirName());
        caps_->handlerGroup(handler.id.name(), handler.id.type,
                            manifest ? manifest.value().cpu_quota_percentage : std::nullopt);
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
    // Any local user may connect (read-only status for `azcmagent show`); routes that change
    // anything check the caller's uid as the kernel reports it.
    if (auto listening = server_->listenLocal(paths_.socketFor("extservice"), 0666); !listening) {
        return listening.error();
    }
    spdlog::info("IPC_LISTENING socket={}", paths_.socketFor("extservice").string());
    scheduleSampling();
    loop_.start([self = shared_from_this()] { self->runLoop(); });
    return ok();
}

bool ExtService::stop(std::chrono::seconds grace) {
    stopping_ = true;
    {
        std::lock_guard lock(mutex_);
        wake_ = true;
    }
    wake_cv_.notify_all();
    control_plane_cancel_->cancel();
    sample_timer_.cancel();
    if (server_) {
        server_->stop();
    }
    if (!loop_.stop(grace)) {
        spdlog::warn("DAEMON_STOP_TIMEOUT the goal-state loop is still busy");
        return false;
    }
    return true;
}

Result<void> ExtService::reloadLocalConfig() {
    auto local = config::loadLocalConfig(paths_.localConfig());
    if (!local) {
        return local.error();
    }
    {
        std::lock_guard lock(mutex_);
        local_ = local.value();
        wake_ = true;
        spdlog::info("CFG_LOADED extensions.enabled={} config.mode={} cpulimit={}",
                     local_.extensions_enabled, log::sanitize(local_.config_mode),
                     local_.extensions_cpu_limit);
    }
    wake_cv_.notify_all();
    // The caps are in the kernel's files before the reload is answered.
    return caps_->setAgentCap(static_cast<unsigned>(local.value().extensions_cpu_limit));
}

void ExtService::scheduleSampling() {
    caps_->sampleAll();
    sample_timer_.expires_after(platform::kCpuSampleInterval);
    sample_timer_.async_wait([weak = weak_from_this()](boost::system::error_code error) {
        if (auto self = weak.lock(); self && !error && !self->stopping_) {
            self->scheduleSampling();
        }
    });
}

void ExtService::setConnection(std::string status, std::string error) {
    std::lock_guard lock(mutex_);
    connection_ = std::move(status);
    last_error_ = std::move(error);
}

bool ExtService::waitFor(std::chrono::seconds duration) {
    std::unique_lock lock(mutex_);
    wake_cv_.wait_for(lock, duration, [this] { return wake_ || stopping_.load(); });
    wake_ = false;
    return !stopping_;
}

void ExtService::runLoop() {
    {
        std::lock_guard work(work_mutex_);
        for (const auto& line : handlers_->recover()) {
            spdlog::info("EXT_RECOVER {}", log::sanitize(line));
        }
        // A package a crash left behind is useless now: a pending operation downloads afresh.
        std::error_code ignored;
        for (const auto& entry :
             std::filesystem::directory_iterator(paths_.downloadsDir(), ignored)) {
            spdlog::info("EXT_RECOVER removing stale download {}",
                         log::sanitize(entry.path().filename().string()));
            std::filesystem::remove_all(entry.path(), ignored);
        }
    }
    auto certificate = ensureSettingsCertificate(paths_);
    if (!certificate) {
        spdlog::error("EXT_SETTINGS_CERT_FAILED {}", log::sanitize(certificate.error().message));
    } else {
        spdlog::info("EXT_SETTINGS_CERT thumbprint={}", certificate.value().thumbprint);
        std::lock_guard lock(mutex_);
        settings_certificate_ = std::move(certificate).value();
    }
    while (!stopping_) {
        const auto pause = loopOnce();
        if (pause.count() > 0 && !waitFor(pause)) {
            break;
        }
    }
}

std::chrono::seconds ExtService::loopOnce() {
    auto agent = config::loadAgentConfig(paths_.agentConfig());
    if (!agent) {
        setConnection("NotConnected", agent.error().code == exitcode::kConfigFileNotFound
                                          ? std::string()
                                          : agent.error().message);
        return options_.poll_interval;
    }
    config::LocalConfig local;
    std::string etag;
    std::optional<SettingsCertificate> certificate;
    bool registered = false;
    {
        std::lock_guard lock(mutex_);
        local = local_;
        etag = goal_etag_;
        certificate = settings_certificate_;
        registered = certificate_registered_;
    }
    http::ClientOptions client_options;
    client_options.ca_file = agent.value().cloud.ca_cert_path;
    client_options.proxy_url = config::ProxyPolicy(local, options_.environment_proxy)
                                   .proxyFor(config::TargetService::kArc);
    client_options.cancel = control_plane_cancel_;
    const agentservice::AgentServiceClient client(client_options,
                                                  agent.value().cloud.endpoints.identity, tokens_);
    auto backoff = [this](const std::string& what, const Error& error) {
        if (stopping_) {
            return std::chrono::seconds(0); // the call was abandoned for the stop: no error
        }
        ++failures_;
        setConnection("Error", what + ": " + error.message);
        spdlog::warn("EXT_CONTROL_PLANE_ERROR {}: {}", what, log::sanitize(error.message));
        const auto doubling = options_.retry_initial * (1LL << std::min(failures_ - 1, 20));
        return std::min<std::chrono::seconds>(doubling, options_.poll_interval);
    };

    // The certificate is registered before any protected settings are acted upon: until then the
    // control plane holds them back (protectedSettingsPending).
    if (certificate && !registered) {
        if (auto done = client.registerSettingsCertificate(certificate->certificate_pem); !done) {
            return backoff("settings certificate registration", done.error());
        }
        spdlog::info("EXT_SETTINGS_CERT_REGISTERED thumbprint={}", certificate->thumbprint);
        std::lock_guard lock(mutex_);
        certificate_registered_ = true;
    }

    auto answer =
        client.goalState(etag, etag.empty() ? std::chrono::seconds(0) : options_.long_poll_wait);
    if (!answer) {
        return backoff("goal state", answer.error());
    }
    failures_ = 0;
    auto& goal = loop_goal_;
    // Without ETags the control plane cannot hold the request: poll instead of spinning.
    const bool can_long_poll = !answer.value().etag.empty() && answer.value().etag != etag;
    if (answer.value().changed) {
        auto parsed = parseGoalState(answer.value().document, answer.value().etag);
        if (!parsed) {
            return backoff("goal state", parsed.error());
        }
        for (const auto& rejected : parsed.value().rejected) {
            spdlog::warn("EXT_GOAL_ENTRY_REJECTED {}", log::sanitize(rejected));
        }
        goal = std::move(parsed).value().goal;
        spdlog::info("EXT_GOAL_STATE etag={} extensions={}", log::sanitize(goal.etag),
                     goal.extensions.size());
        publishDestinations(paths_, goal);
        std::lock_guard lock(mutex_);
        goal_etag_ = goal.etag;
        goal_time_ = nowRfc3339();
        goal_count_ = goal.extensions.size();
    }
    setConnection("Connected", "");
    {
        // The settings in force now, not those from before the long-poll (a reload may have
        // come while it waited).
        std::lock_guard lock(mutex_);
        local = local_;
    }
    {
        std::lock_guard work(work_mutex_);
        ControlPlaneCalls calls;
        calls.download = [&client, this](const std::string& url, std::uint64_t size,
                                         const std::filesystem::path& destination) {
            return client.download(url, size, options_.max_package_bytes, destination);
        };
        calls.report = [&client](const json& body) { return client.report(body); };
        calls.stopping = [this] { return stopping_.load(); };
        Reconciler reconciler(paths_, *handlers_, *caps_, state_, std::move(calls));
        const BusyWhile busy(reconciling_);
        reconciler.reconcile(goal, local, loadSigningRoot(paths_));
    }
    if (answer.value().changed) {
        // Downloads, packages and handler runs are done with until the goal state changes.
        platform::returnFreedMemory();
    }
    if (options_.long_poll_wait.count() == 0 || answer.value().etag.empty()) {
        return options_.poll_interval;
    }
    if (answer.value().changed && !can_long_poll) {
        return std::chrono::seconds(1); // same ETag answered at once: don't spin
    }
    return std::chrono::seconds(0);
}

} // namespace azcm::extservice
