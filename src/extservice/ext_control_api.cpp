// The control socket of ExtService (docs/extensions.md, "Control socket").
#include "ext_service.hpp"
#include "json/json_document.hpp"
#include "local_admin.hpp"
#include "log/log.hpp"

#include <array>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace azcm::extservice {

namespace {

using nlohmann::json;

http::Response jsonReply(const http::Request& request, http::Status status, const json& body) {
    return http::makeJsonResponse(request, status, jsondoc::serialize(body));
}

http::Response errorReply(const http::Request& request,
                          http::Status status,
                          const std::string& code,
                          const std::string& message) {
    return jsonReply(request, status, json{{"error", {{"code", code}, {"message", message}}}});
}

std::string_view pathOf(std::string_view target) {
    return target.substr(0, target.find('?'));
}

json configJson(const config::LocalConfig& local) {
    return json{{"extensions.enabled", local.extensions_enabled},
                {"config.mode", local.config_mode},
                {"extensions.allowlist", local.extensions_allowlist},
                {"extensions.blocklist", local.extensions_blocklist},
                {"extensions.agent.cpulimit", local.extensions_cpu_limit}};
}

} // namespace

void ExtService::handleRequest(http::Request&& request,
                               const http::PeerInfo& peer,
                               http::Respond respond) {
    const auto target = request.target();
    const auto path = pathOf(std::string_view(target.data(), target.size()));
    const auto method = request.method();
    constexpr std::string_view kExtensionsPrefix = "/extensions/";
    const auto access = ipc::peerAccess(peer, options_.access);
    const bool privileged = access == ipc::PeerAccess::privileged;
    auto forbidden = [&](const char* who) {
        spdlog::warn("IPC_FORBIDDEN route={} uid={}", log::sanitize(path),
                     peer.uid ? std::to_string(*peer.uid) : std::string("unknown"));
        respond(errorReply(request, http::Status::forbidden, "Forbidden",
                           std::string("this route is only for ") + who));
    };
    const bool read_only_route =
        method == http::Verb::get && (path == "/status" || path == "/extensions");
    if (read_only_route && access == ipc::PeerAccess::none) {
        forbidden("root and members of the agent's reader group (himds)");
    } else if (path == "/status" && method == http::Verb::get) {
        respond(jsonReply(request, http::Status::ok, statusJson()));
    } else if (path == "/extensions" && method == http::Verb::get) {
        respond(jsonReply(request, http::Status::ok, json{{"extensions", extensionsJson()}}));
    } else if (path == "/reload" && method == http::Verb::post) {
        if (!privileged) {
            forbidden("root");
            return;
        }
        if (auto reloaded = reloadLocalConfig(); !reloaded) {
            spdlog::warn("CFG_RELOAD_FAILED {}", log::sanitize(reloaded.error().message));
            respond(errorReply(request, http::Status::internal_server_error, "ReloadFailed",
                               reloaded.error().message));
            return;
        }
        spdlog::info("CFG_RELOADED");
        respond(jsonReply(request, http::Status::ok, json{{"reloaded", true}}));
    } else if (path == "/shutdown" && method == http::Verb::post) {
        if (!privileged) {
            forbidden("root");
            return;
        }
        respond(jsonReply(request, http::Status::ok, json{{"stopping", true}}));
        boost::asio::post(io_, [shutdown = request_shutdown_] {
            if (shutdown) {
                shutdown();
            }
        });
    } else if (path.substr(0, kExtensionsPrefix.size()) == kExtensionsPrefix &&
               method == http::Verb::delete_) {
        if (!privileged) {
            forbidden("root");
            return;
        }
        handleDelete(request, std::string(path.substr(kExtensionsPrefix.size())),
                     std::move(respond));
    } else {
        respond(errorReply(request, http::Status::not_found, "NotFound", "no such route"));
    }
}

void ExtService::handleDelete(const http::Request& request,
                              std::string name,
                              http::Respond respond) {
    if (!safeName(name)) {
        respond(errorReply(request, http::Status::bad_request, "BadRequest",
                           "the extension name is not valid"));
        return;
    }
    const unsigned version = request.version();
    const bool keep_alive = request.keep_alive();
    // A handler's uninstall command may run for minutes: not on the io thread.
    boost::asio::post(workers_, [self = shared_from_this(), name, version, keep_alive,
                                 respond = std::move(respond)]() mutable {
        auto removed = self->removeLocally(name);
        boost::asio::post(self->io_, [removed = std::move(removed), version, keep_alive,
                                      respond = std::move(respond)]() mutable {
            http::Request shape;
            shape.version(version);
            shape.keep_alive(keep_alive);
            if (!removed) {
                const bool missing = removed.error().code == exitcode::kInvalidArgument;
                respond(errorReply(
                    shape, missing ? http::Status::not_found : http::Status::internal_server_error,
                    missing ? "ExtensionNotFound" : "RemoveFailed", removed.error().message));
                return;
            }
            respond(jsonReply(shape, http::Status::ok, json{{"removed", removed.value()}}));
        });
    });
}

Result<std::string> ExtService::removeLocally(const std::string& name) {
    // `name` is the extension's name or its handler's (Publisher.Type).
    std::string handler = name;
    std::string record_name;
    for (const auto& [extension, record] : state_.all()) {
        if (extension == name || record.handler == name) {
            handler = record.handler;
            record_name = extension;
            break;
        }
    }
    std::lock_guard work(work_mutex_);
    if (!handlers_->current(handler)) {
        return makeError(exitcode::kInvalidArgument, "no extension '" + name + "' is installed");
    }
    auto result = handlers_->uninstall(handler);
    if (!result.ok) {
        return makeError(exitcode::kGeneric, result.message);
    }
    caps_->removeHandler(handler);
    spdlog::info("EXT_REMOVED_LOCALLY handler={}", log::sanitize(handler));
    return handler;
}

json ExtService::extensionsJson() const {
    return extensionList(*handlers_, state_.all());
}

json ExtService::statusJson() const {
    json status{{"daemon", "extservice"}, {"version", AZCM_AGENT_VERSION}};
    {
        std::lock_guard lock(mutex_);
        status["config"] = configJson(local_);
        status["connection"] = {
            {"status", connection_},
            {"lastError", last_error_},
            {"lastGoalState",
             {{"etag", goal_etag_}, {"time", goal_time_}, {"extensions", goal_count_}}}};
        status["settingsCertificate"] =
            settings_certificate_ ? json{{"thumbprint", settings_certificate_->thumbprint},
                                         {"registered", certificate_registered_}}
                                  : json(nullptr);
    }
    status["extensions"] = extensionsJson();
    status["cpu"] = caps_ ? caps_->status() : json::array();
    return status;
}

} // namespace azcm::extservice
