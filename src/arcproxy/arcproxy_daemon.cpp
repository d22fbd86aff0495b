#include "arcproxy/arcproxy_daemon.hpp"

#include "common/fs/atomic_file.hpp"

namespace azcm::arcproxy {

namespace {

class ArcproxyDaemon final : public daemon::DaemonService {
public:
    explicit ArcproxyDaemon(std::shared_ptr<ArcproxyService> service)
        : service_(std::move(service)) {}

    Result<void> start() override { return service_->start(); }
    bool stop() override {
        service_->stop();
        return true;
    }
    Result<void> reload() override { return service_->reloadLocalConfig(); }
    std::string readyStatus() const override {
        return "proxyPort=" + std::to_string(service_->port());
    }

private:
    std::shared_ptr<ArcproxyService> service_;
};

} // namespace

daemon::DaemonSpec<ArcproxyOptions> daemonSpec() {
    daemon::DaemonSpec<ArcproxyOptions> spec;
    spec.name = "arcproxy";
    spec.description = "arcproxy: Azure Connected Machine agent local forward proxy";
    spec.bad_option_exit_code = exitcode::kInvalidArgument;
    spec.read_options = [](const Paths& paths) { return optionsFromEnvironment(paths); };
    // Normally made by the package (tmpfiles.d); a sandbox or a first start makes them here.
    spec.make_directories = [](const Paths& paths, const ArcproxyOptions&) -> Result<void> {
        for (const auto& directory : {paths.agentDataDir(), paths.socketsDir(), paths.logDir()}) {
            BOOST_OUTCOME_TRY(fs::ensureDirectory(directory, {0755, {}}));
        }
        return ok();
    };
    spec.log_options = [](const Paths& paths) { return log::daemonLogOptions(paths, "arcproxy"); };
    spec.create = [](daemon::DaemonContext& context,
                     ArcproxyOptions options) -> std::unique_ptr<daemon::DaemonService> {
        options.request_shutdown = context.request_shutdown;
        return std::make_unique<ArcproxyDaemon>(
            ArcproxyService::create(context.io, context.paths, std::move(options)));
    };
    return spec;
}

} // namespace azcm::arcproxy
