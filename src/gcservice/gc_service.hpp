#pragma once
// gcservice (gcad): evaluates the machine's guest configuration assignments and reports their
// compliance. One io_context thread owns the control socket, the timers and the CPU cap;
// the goal-state poll and the evaluations run one at a time on a worker thread (sequential, as in
// Azure). State is persisted after every change (gc_state.hpp), so kill -9 at any moment loses at
// most the evaluation in progress, which simply runs again after a restart. Idle, it sleeps until
// the next evaluation, report retry or poll is due, or until the long-poll brings a new goal
// state: no timer wakes it for nothing (docs/benchmarks.md, "Idle footprint").
#include "common/config/local_config.hpp"
#include "common/daemon/blocking_loop.hpp"
#include "common/daemon/control_router.hpp"
#include "common/fs/state_file.hpp"
#include "common/http/http_server.hpp"
#include "common/http/http_types.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/component_cpu_cap.hpp"
#include "gcservice/engine/backend.hpp"
#include "gcservice/engine/engine.hpp"
#include "gcservice/gc_control_plane.hpp"
#include "gcservice/gc_options.hpp"
#include "gcservice/gc_state.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

namespace azcm::gcservice {

struct GcServiceParts {
    std::unique_ptr<ControlPlane> control_plane;
    std::unique_ptr<Backend> backend;
    // The daemon's own CPU group (CpuLimiter::fromEnvironment("gcad").daemonGroup()).
    platform::CpuGroup cpu_group;
};

class GcService {
public:
    GcService(boost::asio::io_context& io,
              boost::asio::thread_pool& workers,
              Paths paths,
              GcOptions options,
              GcServiceParts parts);
    ~GcService();
    GcService(const GcService&) = delete;
    GcService& operator=(const GcService&) = delete;
    GcService(GcService&&) = delete;
    GcService& operator=(GcService&&) = delete;

    // Directories, state, local configuration, CPU cap, socket, timers.
    Result<void> start();
    void stop();
    // Re-reads localconfig.json and applies the CPU cap (in the kernel before this returns).
    Result<void> reloadLocalConfig();

    nlohmann::json status() const;
    nlohmann::json cpuStatus() const; // [ComponentCpuCap::status()]

private:
    std::unique_ptr<daemon::ControlRouter> makeControlRouter();
    // Arms the cycle timer for when the next piece of work is due (nextCycleDelay()).
    void scheduleTick();
    // Arms it to fire at once (a goal state with new or changed assignments came).
    void wakeCycleNow();
    void onCycleTimer(const boost::system::error_code& error);
    // How long nothing is due: the earliest evaluation, report retry, plain poll or retention
    // expiry; at least kMinCycleDelay, at most kMaxCycleDelay.
    std::chrono::seconds nextCycleDelay(std::int64_t now) const; // under state_mutex_
    void scheduleCpuSample();
    // Worker thread: one goal-state poll (when due) and the evaluations that are due.
    void runCycle();
    // Without long-polling (long_poll_wait 0): one plain poll when due, from runCycle.
    void pollGoalState(std::int64_t now);
    // Its own thread: keeps an assignments long-poll open and applies what it brings, so a new
    // assignment is evaluated within seconds; falls back to polling when the control plane does
    // not hold requests, and pauses after failures.
    void longPollLoop();
    // Records a goal-state answer (or its failure) in the state; true when assignments changed.
    bool applyGoalStateAnswer(const Result<GoalStateAnswer>& answer, std::int64_t now);
    // Sleeps up to `pause`; false when stopping.
    bool pauseLongPoll(std::chrono::seconds pause);
    // Evaluates (or decides not to) one assignment; returns it with its new report.
    // `cycle_releases`: the agent releases, fetched by the first package of the cycle that
    // checks the support window and reused by the others.
    AssignmentState evaluateOne(AssignmentState assignment,
                                const config::LocalConfig& local,
                                std::optional<AgentReleases>& cycle_releases);
    AgentReleases fetchAgentReleases();
    void sendReport(const std::string& name);
    void persist(); // under state_mutex_; writes only when the state's bytes changed
    std::optional<unsigned> configuredCap() const;

    boost::asio::io_context& io_;
    boost::asio::thread_pool& workers_;
    Paths paths_;
    GcOptions options_;
    GcServiceParts parts_;
    std::unique_ptr<platform::ComponentCpuCap> cpu_cap_;
    std::unique_ptr<daemon::ControlRouter> router_;
    std::unique_ptr<http::HttpServer> server_;
    boost::asio::steady_timer tick_timer_;
    boost::asio::steady_timer cpu_timer_;

    mutable std::mutex state_mutex_; // guards everything below
    GcState state_;
    fs::StateFile state_file_;
    // lastGoalStateAt as last written: an unchanged goal state moves it in memory at every
    // answer, on disk only every kGoalStateTimeSaveStep (it serves the 14-day retention).
    std::optional<std::int64_t> saved_goal_state_at_;
    config::LocalConfig local_;
    std::int64_t next_poll_ = 0;
    std::string last_poll_error_;
    std::atomic<bool> cycle_running_{false};
    std::atomic<bool> stopping_{false};

    daemon::BlockingLoop long_poll_; // the assignments long-poll
    std::mutex pause_mutex_;
    std::condition_variable pause_cv_;
};

// The platform whose agent packages this machine runs, for the support-window check: "msi" on
// Windows; on Linux "rpm" when <root>/var/lib/rpm exists and dpkg has no azcmagent package
// (<root>/var/lib/dpkg/info/azcmagent.list), otherwise "deb".
std::string agentPackagePlatform(const Paths& paths);

} // namespace azcm::gcservice
