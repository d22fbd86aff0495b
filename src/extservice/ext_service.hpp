#pragma once
// The extservice daemon minus main(): the control socket (docs/extensions.md "Control socket"),
// the goal-state loop on a thread of its own (long-polls and handler commands block for minutes),
// and the CPU caps of the daemon and its handlers. The socket and the caps live on the io thread;
// HandlerManager's mutating calls are serialised by work_mutex_ (the loop and DELETE share it).
#include "common/config/local_config.hpp"
#include "common/daemon/blocking_loop.hpp"
#include "common/daemon/control_router.hpp"
#include "common/error.hpp"
#include "common/http/http_server.hpp"
#include "common/http/https_client.hpp"
#include "common/ipc/himds_token_source.hpp"
#include "common/paths/paths.hpp"
#include "extservice/admin/extension_cpu_caps.hpp"
#include "extservice/admin/reported_state.hpp"
#include "extservice/ext_options.hpp"
#include "extservice/goal_state.hpp"
#include "extservice/handler/handler_manager.hpp"
#include "extservice/settings_certificate.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

// The directories extservice needs, with their modes (docs/install.md).
Result<void> ensureDirectories(const Paths& paths);

// Reads the package-signing root named by agentconfig.json's cloud (empty when none).
std::string loadSigningRoot(const Paths& paths);

class ExtService : public std::enable_shared_from_this<ExtService> {
public:
    static std::shared_ptr<ExtService> create(boost::asio::io_context& io,
                                              boost::asio::thread_pool& workers,
                                              Paths paths,
                                              ExtOptions options,
                                              std::function<void()> request_shutdown);
    ExtService(const ExtService&) = delete;
    ExtService& operator=(const ExtService&) = delete;
    ExtService(ExtService&&) = delete;
    ExtService& operator=(ExtService&&) = delete;
    ~ExtService();

    // Loads localconfig, confines the daemon to its CPU group, binds the socket, starts the loop.
    Result<void> start();
    // Stops the socket and the loop; false when the loop did not finish within `grace` (it is
    // blocked in a call that cannot be interrupted): the caller then exits without unwinding.
    bool stop(std::chrono::seconds grace = std::chrono::seconds(3));
    // Re-reads localconfig.json and applies the CPU caps before returning.
    Result<void> reloadLocalConfig();
    nlohmann::json statusJson() const;

private:
    ExtService(boost::asio::io_context& io,
               boost::asio::thread_pool& workers,
               Paths paths,
               ExtOptions options,
               std::function<void()> request_shutdown);

    std::unique_ptr<daemon::ControlRouter> makeControlRouter();
    void handleDelete(const http::Request& request, std::string name, http::Respond respond);
    nlohmann::json extensionsJson() const;
    Result<std::string> removeLocally(const std::string& name);

    void scheduleSampling();
    void runLoop();
    // One round: connected? register the certificate, fetch the goal state, reconcile. Returns
    // how long to wait before the next round (zero: go straight into the next long-poll).
    std::chrono::seconds loopOnce();
    void setConnection(std::string status, std::string error);
    bool waitFor(std::chrono::seconds duration); // false when stopping

    boost::asio::io_context& io_;
    boost::asio::thread_pool& workers_;
    Paths paths_;
    ExtOptions options_;
    std::function<void()> request_shutdown_;

    std::unique_ptr<daemon::ControlRouter> router_;
    std::unique_ptr<http::HttpServer> server_;
    std::unique_ptr<ExtensionCpuCaps> caps_;
    std::unique_ptr<extservice::HandlerManager> handlers_;
    ReportedState state_;
    ipc::HimdsTokenSource tokens_;
    boost::asio::steady_timer sample_timer_;

    mutable std::mutex mutex_; // guards everything below
    config::LocalConfig local_;
    std::string connection_ = "NotConnected";
    std::string last_error_;
    std::string goal_etag_;
    std::string goal_time_;
    std::size_t goal_count_ = 0;
    std::optional<SettingsCertificate> settings_certificate_;
    bool certificate_registered_ = false;
    bool wake_ = false;
    std::condition_variable wake_cv_;

    std::mutex work_mutex_; // one handler operation at a time
    std::atomic<bool> stopping_{false};
    // While the reconciler runs (downloads, handler commands): an agent upgrade waits for it.
    std::atomic<bool> reconciling_{false};
    // Abandons the control-plane call in flight (a goal-state long-poll holds the loop for up to
    // 50 s) when the daemon stops, so a stop never waits for it.
    std::shared_ptr<http::CancelSignal> control_plane_cancel_ =
        std::make_shared<http::CancelSignal>();
    daemon::BlockingLoop loop_; // the goal-state loop: long-polls and handler commands
    int failures_ = 0;          // loop thread only
    GoalState loop_goal_;       // loop thread only: the last goal state parsed
};

} // namespace azcm::extservice
