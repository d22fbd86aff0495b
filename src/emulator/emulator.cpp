#include "emulator/emulator.hpp"

#include "common/log/log.hpp"
#include "emulator/guest_configuration_agent_service.hpp"
#include "emulator/http_util.hpp"

#include <exception>

#include <spdlog/spdlog.h>

namespace azcm::emulator {

Emulator::Emulator(Store& store,
                   const EmulatorPki& pki,
                   WallClock clock,
                   EmulatorOptions options,
                   std::string base_url)
    : context_{store, pki, std::move(clock), std::move(options), std::move(base_url), &waiters_},
      entra_(context_), arm_(context_), identity_(context_), extension_agent_(context_),
      gc_agent_(context_) {}

http::Response Emulator::handle(const http::Request& request, const http::PeerInfo& peer) {
    http::Response response;
    try {
        response = route(request, peer);
    } catch (const std::exception& error) {
        // A handler must answer; a bug in one route must not take the process down.
        spdlog::error("EMULATOR_HANDLER_FAILED target={} error={}",
                      log::sanitize(std::string(request.target())), log::sanitize(error.what()));
        response = errorResponse(request, http::Status::internal_server_error,
                                 "InternalServerError", "The request failed unexpectedly.");
    }
    spdlog::debug("EMULATOR_REQUEST method={} target={} status={}",
                  std::string(request.method_string()),
                  log::sanitize(std::string(request.target())), response.result_int());
    return response;
}

void Emulator::handleAsync(http::Request&& request,
                           const http::PeerInfo& peer,
                           http::Respond respond) {
    // An exception here reaches the server, which answers 500.
    if (ExtensionAgentService::isGoalStateRequest(request)) {
        extension_agent_.goalStateAsync(std::move(request), peer, std::move(respond));
        return;
    }
    if (GcAgentService::isAssignmentsRequest(request)) {
        gc_agent_.assignmentsAsync(std::move(request), peer, std::move(respond));
        return;
    }
    respond(handle(request, peer));
}

void Emulator::enableLongPoll(boost::asio::any_io_executor executor,
                              std::chrono::milliseconds probe_interval) {
    Store& store = context_.store;
    waiters_.attach(
        std::move(executor),
        [&store]() -> std::optional<std::int64_t> {
            auto revision = store.packageRevision();
            return revision ? std::optional<std::int64_t>(revision.value()) : std::nullopt;
        },
        probe_interval);
}

http::Response Emulator::route(const http::Request& request, const http::PeerInfo& peer) {
    auto target =
        splitRequestTarget(std::string_view(request.target().data(), request.target().size()));
    if (!target) {
        return errorResponse(request, http::Status::bad_request, "InvalidUri",
                             "The request URI is malformed.");
    }
    auto segments = pathSegments(target.value().path);
    if (!segments) {
        return errorResponse(request, http::Status::bad_request, "InvalidUri",
                             "The request path is malformed.");
    }
    auto& parts = segments.value();
    if (!parts.empty() && equalsIgnoreCase(parts.front(), "subscriptions")) {
        return arm_.handle(request, parts, target.value().query);
    }
    if (!parts.empty() && equalsIgnoreCase(parts.front(), "his")) {
        const std::vector<std::string> rest(parts.begin() + 1, parts.end());
        if (ExtensionAgentService::handles(rest)) {
            return extension_agent_.handle(request, peer, rest);
        }
        return identity_.handle(request, peer, rest);
    }
    if (!parts.empty() && equalsIgnoreCase(parts.front(), "gc")) {
        // The agent's guest configuration routes (guest_configuration_agent_service.hpp).
        const std::vector<std::string> rest(parts.begin() + 1, parts.end());
        return gc_agent_.handle(request, peer, rest);
    }
    if (auto response = entra_.handle(request, parts, target.value().query)) {
        return std::move(*response);
    }
    return errorResponse(request, http::Status::not_found, "NotFound",
                         "No route matches '" + target.value().path + "'.");
}

} // namespace azcm::emulator
