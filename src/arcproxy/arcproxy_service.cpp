#include "arcproxy/arcproxy_service.hpp"

#include "common/agent_version.hpp"
#include "common/config/local_config.hpp"
#include "common/config/proxy_policy.hpp"
#include "common/daemon/daemon_runner.hpp"
#include "common/http/http_server.hpp"
#include "common/log/log.hpp"
#include "common/platform/process_identity.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace azcm::arcproxy {

using nlohmann::json;

Result<ArcproxyOptions> optionsFromEnvironment(const Paths& paths,
                                               const daemon::EnvironmentOptions& environment) {
    ArcproxyOptions options;
    BOOST_OUTCOME_TRY(port, environment.port("AZCM_PROXY_PORT", options.port));
    options.port = port;
    if (paths.isSandbox()) {
        options.listener.rules.allow_loopback = true;
        options.listener.rules.allowed_ports.clear();
    }
    options.environment_proxy = config::environmentProxy();
    options.access = ipc::controlAccessPolicyFromEnvironment();
    return options;
}

std::shared_ptr<ArcproxyService>
ArcproxyService::create(boost::asio::io_context& io, Paths paths, ArcproxyOptions options) {
    return std::shared_ptr<ArcproxyService>(
        new ArcproxyService(io, std::move(paths), std::move(options)));
}

ArcproxyService::ArcproxyService(boost::asio::io_context& io, Paths paths, ArcproxyOptions options)
    : io_(io), paths_(std::move(paths)), options_(std::move(options)), allow_list_(paths_) {}

ArcproxyService::~ArcproxyService() {
    stop();
}

Result<void> ArcproxyService::start() {
    if (auto loaded = reloadLocalConfig(); !loaded) {
        return daemon::localConfigStartError(loaded.error());
    }
    auto listener_options = options_.listener;
    listener_options.upstream = [weak = weak_from_this()]() -> std::optional<http::ProxyUrl> {
        if (auto self = weak.lock()) {
            return self->upstream_;
        }
        return std::nullopt;
    };
    listener_options.allow_list = [weak = weak_from_this()]() -> std::shared_ptr<const AllowList> {
        if (auto self = weak.lock()) {
            return self->allow_list_.current();
        }
        return nullptr;
    };
    listener_ = std::make_unique<ProxyListener>(io_, std::move(listener_options));
    BOOST_OUTCOME_TRY(port, listener_->listen("127.0.0.1", options_.port));
    port_ = port;
    // IPv6 loopback on the same port; a host without IPv6 keeps the IPv4 listener.
    if (auto v6 = listener_->listen("::1", port_); !v6) {
        spdlog::warn("PROXY_IPV6_UNAVAILABLE {}", log::sanitize(v6.error().message));
    }

    router_ = makeControlRouter();
    control_ = std::make_unique<http::HttpServer>(
        io_.get_executor(),
        [weak = weak_from_this()](http::Request&& request, const http::PeerInfo& peer,
                                  http::Respond respond) {
            if (auto self = weak.lock()) {
                self->router_->handle(std::move(request), peer, std::move(respond));
            }
        });
    const auto socket = paths_.socketFor("arcproxy");
    BOOST_OUTCOME_TRY(control_->listenLocal(socket, 0666));
    spdlog::info("PROXY_LISTENING port={} upstream={} socket={}", port_,
                 upstream_url_ ? http::redactProxyUrl(*upstream_url_) : std::string("direct"),
                 socket.string());
    return ok();
}

void ArcproxyService::stop() {
    if (listener_) {
        listener_->stop();
    }
    if (control_) {
        control_->stop();
    }
}

Result<void> ArcproxyService::reloadLocalConfig() {
    auto local = config::loadLocalConfig(paths_.localConfig());
    if (!local) {
        last_error_ = local.error().message;
        return local.error();
    }
    const config::ProxyPolicy policy(local.value(), options_.environment_proxy);
    auto url = policy.proxyFor(config::TargetService::kArc);
    std::optional<http::ProxyUrl> parsed;
    if (url) {
        auto proxy = http::parseProxyUrl(*url);
        if (!proxy) {
            last_error_ = proxy.error().message;
            return proxy.error(); // the old upstream stays in force
        }
        parsed = std::move(proxy).value();
    }
    upstream_url_ = std::move(url);
    upstream_ = std::move(parsed);
    last_error_.clear();
    spdlog::info("CFG_RELOADED upstream={}",
                 upstream_url_ ? http::redactProxyUrl(*upstream_url_) : std::string("direct"));
    return ok();
}

json ArcproxyService::statusJson() {
    const auto counters = listener_ ? listener_->counters() : ProxyCounters{};
    json allowed = json::array();
    for (const auto& entry : allow_list_.current()->entries()) {
        allowed.push_back(entry.text());
    }
    json status = {
        {"service", "arcproxy"},
        {"version", azcm::agentVersion()},
        {"pid", platform::currentProcessId()},
        {"proxy",
         {{"port", port_},
          {"addresses", json::array({"127.0.0.1", "::1"})},
          {"upstream", upstream_url_ ? http::redactProxyUrl(*upstream_url_) : std::string()},
          {"loopbackDestinations", options_.listener.rules.allow_loopback},
          {"allowedDestinations", std::move(allowed)}}},
        {"connections",
         {{"accepted", counters.accepted},
          {"active", counters.active},
          {"forwarded", counters.forwarded},
          {"refused", counters.refused},
          {"failed", counters.failed}}},
        // Never capped (docs/resource-limits.md): an empty list, not a missing key.
        {"cpu", json::array()},
    };
    if (!last_error_.empty()) {
        status["lastError"] = {{"message", last_error_}};
    } else if (const auto allow_list_error = allow_list_.lastError(); !allow_list_error.empty()) {
        status["lastError"] = {{"message", allow_list_error}};
    }
    return status;
}

std::unique_ptr<daemon::ControlRouter> ArcproxyService::makeControlRouter() {
    daemon::ControlRouterOptions options;
    options.daemon = "arcproxy";
    options.access = options_.access;
    options.status = [this] { return statusJson(); };
    options.reload = [this]() -> Result<json> {
        BOOST_OUTCOME_TRY(reloadLocalConfig());
        return json{
            {"upstream", upstream_url_ ? http::redactProxyUrl(*upstream_url_) : std::string()}};
    };
    options.request_shutdown = options_.request_shutdown;
    options.executor = io_.get_executor();
    return std::make_unique<daemon::ControlRouter>(std::move(options));
}

} // namespace azcm::arcproxy
