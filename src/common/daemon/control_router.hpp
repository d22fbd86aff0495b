#pragma once
// The one router of every daemon's control socket. Each daemon registers its own routes; every
// daemon gets the same built-in ones with the same answers:
//   GET /status     the daemon's status object (who may read it is the daemon's choice: anyone
//                   for himds, root, the daemon's user and the reader group for the others)
//   POST /reload    privileged; {"reloaded": true, ...the daemon's extra members} or
//                   500 ReloadFailed with the reason, the old settings staying in force
//   POST /shutdown  privileged; {"stopping": true}, then the daemon's shutdown path
// An unknown path is 404 NotFound, a known path with another method 405 MethodNotAllowed (with
// Allow), a peer without the route's access 403 Forbidden. Access is decided here and only here,
// from the kernel's credentials of the peer (docs/security.md).
#include "common/daemon/control_reply.hpp"
#include "common/error.hpp"
#include "common/http/http_types.hpp"
#include "common/ipc/control_access.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include <nlohmann/json.hpp>

namespace azcm::daemon {

// Who may use a route, from the peer's access (ipc::peerAccess).
enum class RouteAccess {
    anyone,     // every local user, even one whose credentials are unknown
    reader,     // root, the daemon's own user, members of the reader group
    privileged, // root and the daemon's own user
};

bool permits(RouteAccess required, ipc::PeerAccess peer);

// `rest`: what follows a prefix route's path ("" for an exact route).
using RouteHandler =
    std::function<void(const http::Request& request, std::string_view rest, http::Respond)>;

struct ControlRoute {
    http::Verb verb = http::Verb::get;
    std::string path;
    RouteAccess access = RouteAccess::privileged;
    RouteHandler handle;
    // A prefix route ("/extensions/") matches every longer path that starts with `path`.
    bool prefix = false;
};

struct ControlRouterOptions {
    std::string daemon;              // for the log
    ipc::ControlAccessPolicy access; // who is privileged, which group reads
    RouteAccess status_access = RouteAccess::reader;
    std::function<nlohmann::json()> status;
    // POST /reload: the members the daemon adds to {"reloaded": true}, or why it failed.
    std::function<Result<nlohmann::json>()> reload;
    // POST /shutdown: posted to `executor`, so the answer is on its way before listeners close.
    std::function<void()> request_shutdown;
    boost::asio::any_io_executor executor;
};

class ControlRouter {
public:
    explicit ControlRouter(ControlRouterOptions options);
    // The built-in routes refer to this router: it stays where it was made.
    ControlRouter(const ControlRouter&) = delete;
    ControlRouter& operator=(const ControlRouter&) = delete;
    ControlRouter(ControlRouter&&) = delete;
    ControlRouter& operator=(ControlRouter&&) = delete;
    ~ControlRouter() = default;

    void add(ControlRoute route);

    // An http::Handler: answers exactly once through `respond`.
    void handle(http::Request&& request, const http::PeerInfo& peer, http::Respond respond) const;

private:
    void status(const http::Request& request, const http::Respond& respond) const;
    void reload(const http::Request& request, const http::Respond& respond) const;
    void shutdown(const http::Request& request, const http::Respond& respond) const;

    ControlRouterOptions options_;
    std::vector<ControlRoute> routes_;
};

} // namespace azcm::daemon
