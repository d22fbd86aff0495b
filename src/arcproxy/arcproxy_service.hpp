#pragma once
// arcproxy: the local forward proxy daemon (docs/arcproxy.md). It owns the
// proxy listeners on 127.0.0.1 and [::1] (AZCM_PROXY_PORT, default 40343) and its control socket
// (GET /status, POST /reload, POST /shutdown). The upstream proxy comes from localconfig.json
// (`proxy.url`, bypass `Arc`) or HTTPS_PROXY, re-read on reload. It is never CPU-capped: every
// agent call may pass through it.
#include "arcproxy/allow_list_source.hpp"
#include "arcproxy/proxy_listener.hpp"
#include "common/daemon/control_router.hpp"
#include "common/daemon/environment_options.hpp"
#include "common/error.hpp"
#include "common/ipc/control_access.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/local_peer.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

namespace azcm::http {
class HttpServer;
}

namespace azcm::arcproxy {

inline constexpr std::uint16_t kDefaultProxyPort = 40343;

struct ArcproxyOptions {
    std::uint16_t port = kDefaultProxyPort;
    ProxyListenerOptions listener;
    std::optional<std::string> environment_proxy; // HTTPS_PROXY at start-up
    std::function<void()> request_shutdown;
    // Who may use which control route (ipc/control_access.hpp): uid 0 and the daemon's own euid
    // are privileged; the reader group may read status. Defaults to the daemon's own account alone.
    ipc::ControlAccessPolicy access = platform::ownAccountPolicy();
};

// AZCM_PROXY_PORT (0: a free port); loopback destinations allowed only in a sandbox (AZCM_ROOT),
// where the emulator itself is on 127.0.0.1. The allow-list comes from files (AllowListSource).
Result<ArcproxyOptions> optionsFromEnvironment(const Paths& paths,
                                               const daemon::EnvironmentOptions& environment = {});

class ArcproxyService : public std::enable_shared_from_this<ArcproxyService> {
public:
    static std::shared_ptr<ArcproxyService>
    create(boost::asio::io_context& io, Paths paths, ArcproxyOptions options);
    ~ArcproxyService();
    ArcproxyService(const ArcproxyService&) = delete;
    ArcproxyService& operator=(const ArcproxyService&) = delete;
    ArcproxyService(ArcproxyService&&) = delete;
    ArcproxyService& operator=(ArcproxyService&&) = delete;

    Result<void> start();
    void stop();
    // Re-reads localconfig.json; new connections use the new upstream at once.
    Result<void> reloadLocalConfig();
    std::uint16_t port() const { return port_; }

private:
    ArcproxyService(boost::asio::io_context& io, Paths paths, ArcproxyOptions options);
    std::unique_ptr<daemon::ControlRouter> makeControlRouter();
    nlohmann::json statusJson(); // looks at the allow-list's files

    boost::asio::io_context& io_;
    Paths paths_;
    ArcproxyOptions options_;
    AllowListSource allow_list_;
    std::unique_ptr<ProxyListener> listener_;
    std::unique_ptr<daemon::ControlRouter> router_;
    std::unique_ptr<http::HttpServer> control_;
    std::optional<std::string> upstream_url_; // as configured (may hold credentials)
    std::optional<http::ProxyUrl> upstream_;
    std::string last_error_;
    std::uint16_t port_ = 0;
};

} // namespace azcm::arcproxy
