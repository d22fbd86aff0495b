#include "extservice/ext_daemon.hpp"

#include "extservice/ext_service.hpp"

namespace azcm::extservice {

namespace {

class ExtDaemon final : public daemon::DaemonService {
public:
    ExtDaemon(std::shared_ptr<ExtService> service, std::string socket)
        : service_(std::move(service)), socket_(std::move(socket)) {}

    Result<void> start() override { return service_->start(); }
    // false when the goal-state loop is blocked in a long-poll or a handler command.
    bool stop() override { return service_->stop(); }
    Result<void> reload() override { return service_->reloadLocalConfig(); }
    std::string readyStatus() const override { return "socket=" + socket_; }

private:
    std::shared_ptr<ExtService> service_;
    std::string socket_;
};

} // namespace

daemon::DaemonSpec<ExtOptions> daemonSpec() {
    daemon::DaemonSpec<ExtOptions> spec;
    spec.name = "extservice";
    spec.service_name = "ExtensionService";
    spec.description = "extservice: Azure Connected Machine agent extension manager";
    spec.bad_option_exit_code = exitcode::kInitFailed;
    spec.read_options = [](const Paths&) { return optionsFromEnvironment(); };
    spec.make_directories = [](const Paths& paths, const ExtOptions&) {
        return ensureDirectories(paths);
    };
    spec.log_options = [](const Paths& paths) {
        return log::LogOptions{"extservice", paths.extensionManagerLog(), true,
                               spdlog::level::info};
    };
    spec.create = [](daemon::DaemonContext& context,
                     ExtOptions options) -> std::unique_ptr<daemon::DaemonService> {
        return std::make_unique<ExtDaemon>(ExtService::create(context.io, context.workers,
                                                              context.paths, std::move(options),
                                                              context.request_shutdown),
                                           context.paths.socketFor("extservice").string());
    };
    return spec;
}

} // namespace azcm::extservice
