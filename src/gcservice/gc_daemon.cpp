#include "gcservice/gc_daemon.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/platform/cpu_limit.hpp"
#include "gcservice/gc_service.hpp"

namespace azcm::gcservice {

namespace {

class GcDaemon final : public daemon::DaemonService {
public:
    GcDaemon(daemon::DaemonContext& context, GcOptions options)
        : limiter_(platform::CpuLimiter::fromEnvironment("gcad")),
          service_(context.io,
                   context.workers,
                   context.paths,
                   std::move(options),
                   GcServiceParts{makeHttpsControlPlane(context.paths), makeLinuxBackend(),
                                  limiter_.daemonGroup()}) {}

    Result<void> start() override { return service_.start(); }
    bool stop() override {
        service_.stop();
        return true;
    }
    Result<void> reload() override { return service_.reloadLocalConfig(); }
    std::string readyStatus() const override { return "gcservice ready"; }

private:
    platform::CpuLimiter limiter_;
    GcService service_;
};

} // namespace

daemon::DaemonSpec<GcOptions> daemonSpec() {
    daemon::DaemonSpec<GcOptions> spec;
    spec.name = "gcservice";
    spec.service_name = "GCArcService";
    spec.description = "gcservice: Azure Connected Machine agent guest configuration service";
    spec.bad_option_exit_code = exitcode::kInvalidArgument;
    spec.read_options = [](const Paths&) { return gcOptionsFromEnvironment(); };
    spec.make_directories = [](const Paths& paths, const GcOptions&) {
        return fs::ensureDirectory(paths.guestConfigAgentLog().parent_path(), {0755, {}});
    };
    spec.log_options = [](const Paths& paths) {
        return log::LogOptions{"gcservice", paths.guestConfigAgentLog(), true, spdlog::level::info};
    };
    spec.create = [](daemon::DaemonContext& context,
                     GcOptions options) -> std::unique_ptr<daemon::DaemonService> {
        options.request_shutdown = context.request_shutdown;
        return std::make_unique<GcDaemon>(context, std::move(options));
    };
    return spec;
}

} // namespace azcm::gcservice
