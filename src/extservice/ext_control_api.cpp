// The control socket of ExtService (docs/extensions.md, "Control socket").
#include "common/agent_version.hpp"
#include "common/daemon/control_router.hpp"
#include "common/json/json_document.hpp"
#include "common/log/log.hpp"
#include "extservice/admin/local_admin.hpp"
#include "extservice/ext_service.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace azcm::extservice {

namespace {

using nlohmann::json;

json configJson(const config::LocalConfig& local) {
    return json{{"extensions.enabled", local.extensions_enabled},
                {"config.mode", local.config_mode},
                {"extensions.allowlist", local.extensions_allowlist},
                {"extensions.blocklist", local.extensions_blocklist},
                {"extensions.agent.cpulimit", local.extensions_cpu_limit}};
}

} // namespace

std::unique_ptr<daemon::ControlRouter> ExtService::makeControlRouter() {
    daemon::ControlRouterOptions options;
    options.daemon = "extservice";
    options.access = options_.access;
    options.status = [this] { return statusJson(); };
    options.reload = [this]() -> Result<json> {
        BOOST_OUTCOME_TRY(reloadLocalConfig());
        spdlog::info("CFG_RELOADED");
        return json::object();
    };
    options.request_shutdown = request_shutdown_;
    options.executor = io_.get_executor();
    auto router = std::make_unique<daemon::ControlRouter>(std::move(options));
    router->add(
        {http::Verb::get, "/extensions", daemon::RouteAccess::reader,
         [this](const http::Request& request, std::string_view, const http::Respond& respond) {
             respond(daemon::ReplyShape(request).json(http::Status::ok,
                                                      json{{"extensions", extensionsJson()}}));
         }});
    router->add(
        {http::Verb::delete_, "/extensions/", daemon::RouteAccess::privileged,
         [this](const http::Request& request, std::string_view name, http::Respond respond) {
             handleDelete(request, std::string(name), std::move(respond));
         },
         true});
    return router;
}

void ExtService::handleDelete(const http::Request& request,
                              std::string name,
                              http::Respond respond) {
    const daemon::ReplyShape shape(request);
    if (!safeName(name)) {
        respond(shape.error(http::Status::bad_request, "BadRequest",
                            "the extension name is not valid"));
        return;
    }
    // A handler's uninstall command may run for minutes: not on the io thread.
    boost::asio::post(workers_, [self = shared_from_this(), name = std::move(name), shape,
                                 respond = std::move(respond)]() mutable {
        auto removed = self->removeLocally(name);
        boost::asio::post(self->io_, [removed = std::move(removed), shape,
                                      respond = std::move(respond)]() mutable {
            if (!removed) {
                const bool missing = removed.error().code == exitcode::kInvalidArgument;
                respond(shape.error(
                    missing ? http::Status::not_found : http::Status::internal_server_error,
                    missing ? "ExtensionNotFound" : "RemoveFailed", removed.error().message));
                return;
            }
            respond(shape.json(http::Status::ok, json{{"removed", removed.value()}}));
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
    json status{
        {"daemon", "extservice"}, {"version", azcm::agentVersion()}, {"busy", reconciling_.load()}};
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
