#include "common/daemon/control_router.hpp"

#include "common/log/log.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace azcm::daemon {

namespace {

std::string_view pathOf(const http::Request& request) {
    const auto target = request.target();
    const std::string_view text(target.data(), target.size());
    return text.substr(0, text.find('?'));
}

bool matches(const ControlRoute& route, std::string_view path) {
    if (!route.prefix) {
        return path == route.path;
    }
    return path.size() > route.path.size() && path.substr(0, route.path.size()) == route.path;
}

std::string_view whoMay(RouteAccess access) {
    return access == RouteAccess::reader
               ? "this route is only for root, the daemon's own user and members of the agent's "
                 "reader group (himds)"
               : "this route is only for root and the daemon's own user";
}

} // namespace

bool permits(RouteAccess required, ipc::PeerAccess peer) {
    switch (required) {
    case RouteAccess::anyone:
        return true;
    case RouteAccess::reader:
        return peer == ipc::PeerAccess::reader || peer == ipc::PeerAccess::privileged;
    case RouteAccess::privileged:
        return peer == ipc::PeerAccess::privileged;
    }
    return false;
}

ControlRouter::ControlRouter(ControlRouterOptions options) : options_(std::move(options)) {
    add({http::Verb::get, "/status", options_.status_access,
         [this](const http::Request& request, std::string_view, const http::Respond& respond) {
             status(request, respond);
         }});
    add({http::Verb::post, "/reload", RouteAccess::privileged,
         [this](const http::Request& request, std::string_view, const http::Respond& respond) {
             reload(request, respond);
         }});
    add({http::Verb::post, "/shutdown", RouteAccess::privileged,
         [this](const http::Request& request, std::string_view, const http::Respond& respond) {
             shutdown(request, respond);
         }});
}

void ControlRouter::add(ControlRoute route) {
    routes_.push_back(std::move(route));
}

void ControlRouter::handle(http::Request&& request,
                           const http::PeerInfo& peer,
                           http::Respond respond) const {
    const ReplyShape shape(request);
    const auto path = pathOf(request);
    std::vector<const ControlRoute*> on_path;
    for (const auto& route : routes_) {
        if (matches(route, path)) {
            on_path.push_back(&route);
        }
    }
    if (on_path.empty()) {
        respond(shape.error(http::Status::not_found, "NotFound", "no such route"));
        return;
    }
    const auto method = request.method();
    const auto found = std::find_if(on_path.begin(), on_path.end(),
                                    [method](const ControlRoute* r) { return r->verb == method; });
    if (found == on_path.end()) {
        std::string allowed;
        for (const auto* route : on_path) {
            allowed += (allowed.empty() ? "" : ", ") +
                       std::string(http::beast_http::to_string(route->verb));
        }
        auto response =
            shape.error(http::Status::method_not_allowed, "MethodNotAllowed", "use " + allowed);
        response.set(http::Field::allow, allowed);
        respond(std::move(response));
        return;
    }
    const ControlRoute& route = **found;
    if (!permits(route.access, ipc::peerAccess(peer, options_.access))) {
        spdlog::warn(
            "IPC_FORBIDDEN daemon={} route={} peer={}", options_.daemon, log::sanitize(path),
            peer.local ? platform::describeLocalPeer(*peer.local) : std::string("unknown"));
        respond(shape.error(http::Status::forbidden, "Forbidden", whoMay(route.access)));
        return;
    }
    const auto rest = route.prefix ? path.substr(route.path.size()) : std::string_view();
    route.handle(request, rest, std::move(respond));
}

void ControlRouter::status(const http::Request& request, const http::Respond& respond) const {
    respond(ReplyShape(request).json(http::Status::ok, options_.status()));
}

void ControlRouter::reload(const http::Request& request, const http::Respond& respond) const {
    const ReplyShape shape(request);
    auto reloaded = options_.reload();
    if (!reloaded) {
        spdlog::warn("CFG_RELOAD_FAILED {}", log::sanitize(reloaded.error().message));
        respond(shape.error(http::Status::internal_server_error, "ReloadFailed",
                            reloaded.error().message));
        return;
    }
    nlohmann::json answer{{"reloaded", true}};
    if (reloaded.value().is_object()) {
        answer.update(reloaded.value());
    }
    respond(shape.json(http::Status::ok, answer));
}

void ControlRouter::shutdown(const http::Request& request, const http::Respond& respond) const {
    respond(ReplyShape(request).json(http::Status::ok, {{"stopping", true}}));
    spdlog::info("IPC_SHUTDOWN_REQUESTED daemon={}", options_.daemon);
    boost::asio::post(options_.executor, [shutdown = options_.request_shutdown] {
        if (shutdown) {
            shutdown();
        }
    });
}

} // namespace azcm::daemon
