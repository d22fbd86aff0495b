#include "himds/himds_daemon.hpp"

namespace azcm::himds {

namespace {

class HimdsDaemon final : public daemon::DaemonService {
public:
    HimdsDaemon(std::shared_ptr<HimdsService> service, std::chrono::seconds heartbeat_interval)
        : service_(std::move(service)), heartbeat_interval_(heartbeat_interval) {}

    Result<void> start() override { return service_->start(); }
    bool stop() override {
        service_->stop();
        return true;
    }
    Result<void> reload() override { return service_->reloadLocalConfig(); }
    std::string readyStatus() const override {
        return "heartbeatInterval=" + std::to_string(heartbeat_interval_.count()) +
               "s imdsPort=" + std::to_string(service_->imdsPort());
    }

private:
    std::shared_ptr<HimdsService> service_;
    std::chrono::seconds heartbeat_interval_;
};

} // namespace

daemon::DaemonSpec<HimdsOptions> daemonSpec() {
    daemon::DaemonSpec<HimdsOptions> spec;
    spec.name = "himds";
    spec.description = "himds: Azure Connected Machine agent identity service";
    // docs/operations.md: a bad AZCM_HEARTBEAT_INTERVAL (or any other variable) is exit 6.
    spec.bad_option_exit_code = exitcode::kInitFailed;
    spec.read_options = [](const Paths&) { return optionsFromEnvironment(); };
    spec.make_directories = [](const Paths& paths, const HimdsOptions& options) {
        return ensureDirectories(paths, options.token_group);
    };
    spec.log_options = [](const Paths& paths) { return log::daemonLogOptions(paths, "himds"); };
    spec.create = [](daemon::DaemonContext& context,
                     HimdsOptions options) -> std::unique_ptr<daemon::DaemonService> {
        options.request_shutdown = context.request_shutdown;
        const auto interval = options.heartbeat_interval;
        return std::make_unique<HimdsDaemon>(HimdsService::create(context.io, context.workers,
                                                                  context.paths, std::move(options),
                                                                  makeHttpsIdentityClient()),
                                             interval);
    };
    return spec;
}

} // namespace azcm::himds
