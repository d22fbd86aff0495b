#include "gcservice/gc_service.hpp"

#include "common/agent_version.hpp"
#include "common/daemon/daemon_runner.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"
#include "common/log/log.hpp"
#include "common/platform/install_layout.hpp"
#include "common/platform/malloc_tuning.hpp"
#include "common/platform/process_identity.hpp"
#include "gcservice/engine/engine.hpp"
#include "gcservice/gc_report.hpp"
#include "gcservice/local_controls.hpp"
#include "gcservice/package_cache.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace azcm::gcservice {

using nlohmann::json;

namespace {

// The cycle timer sleeps until the next piece of work is due. Never less than a second, so a due
// report retry paces itself as the one-second tick before it did; never more than an hour, so a
// jump of the wall clock (the due times are unix seconds) is noticed within the hour.
constexpr auto kMinCycleDelay = std::chrono::seconds(1);
constexpr auto kMaxCycleDelay = std::chrono::hours(1);
// An unchanged goal state moves lastGoalStateAt; the file gets the new time at most this often.
// A restart may then count the retention from up to this much earlier.
constexpr auto kGoalStateTimeSaveStep = std::chrono::hours(1);

// Fields of a stored report. It comes back from the state file, which may be damaged: a field of
// the wrong type reads as `fallback` instead of throwing.
std::string reportText(const json& report, const char* key, const std::string& fallback = {}) {
    auto text = jsondoc::getOptionalString(report, key, "the stored report");
    return text && text.value() ? *text.value() : fallback;
}

bool reportFlag(const json& report, const char* key) {
    auto flag = jsondoc::getOptionalBool(report, key, "the stored report");
    return flag && flag.value().value_or(false);
}

std::int64_t nowSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::filesystem::path statePath(const Paths& paths) {
    return paths.guestConfigStateDir() / "state.json";
}

std::string readText(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

} // namespace

std::string agentPackagePlatform(const Paths& paths) {
    if (platform::installsWithWindowsInstaller()) {
        return "msi";
    }
    std::error_code ignored;
    const auto& root = paths.root();
    const bool rpm_database = std::filesystem::is_directory(root / "var/lib/rpm", ignored);
    const bool dpkg_installed =
        std::filesystem::exists(root / "var/lib/dpkg/info/azcmagent.list", ignored);
    return rpm_database && !dpkg_installed ? "rpm" : "deb";
}

GcService::GcService(boost::asio::io_context& io,
                     boost::asio::thread_pool& workers,
                     Paths paths,
                     GcOptions options,
                     GcServiceParts parts)
    : io_(io), workers_(workers), paths_(std::move(paths)), options_(std::move(options)),
      parts_(std::move(parts)), tick_timer_(io), cpu_timer_(io),
      state_file_(statePath(paths_), fs::FileMode{0600, {}}) {}

GcService::~GcService() {
    stop();
}

std::optional<unsigned> GcService::configuredCap() const {
    const int limit = local_.guest_configuration_cpu_limit;
    // 100% of one CPU or more is no cap at all.
    if (limit <= 0 || limit >= 100) {
        return std::nullopt;
    }
    return static_cast<unsigned>(limit);
}

Result<void> GcService::start() {
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths_.guestConfigStateDir(), {0700, {}}));
    BOOST_OUTCOME_TRY(fs::ensureDirectory(paths_.socketsDir(), {0755, {}}));
    auto loaded = loadGcState(statePath(paths_));
    if (loaded) {
        state_ = std::move(loaded.value());
        saved_goal_state_at_ = state_.last_goal_state_at;
    } else {
        // A state we cannot read is started afresh: the next goal state rebuilds it.
        spdlog::warn("GC_STATE_UNREADABLE {}", log::sanitize(loaded.error().message));
    }
    auto local = config::loadLocalConfig(paths_.localConfig());
    if (!local) {
        return daemon::localConfigStartError(local.error());
    }
    local_ = local.value();

    // CPU: the daemon sits in its own leaf group, capped by guestconfiguration.agent.cpulimit.
    cpu_cap_ = std::make_unique<platform::ComponentCpuCap>("gcservice", parts_.cpu_group);
    if (auto attached = cpu_cap_->group().attach(platform::currentProcessId()); !attached) {
        spdlog::warn("GC_CPU_ATTACH_FAILED {}", log::sanitize(attached.error().message));
    }
    if (auto applied = cpu_cap_->apply(configuredCap()); !applied) {
        spdlog::warn("GC_CPU_CAP_FAILED {}", log::sanitize(applied.error().message));
    }
    cpu_cap_->sample();

    router_ = makeControlRouter();
    server_ = std::make_unique<http::HttpServer>(
        io_.get_executor(),
        [this](http::Request&& request, const http::PeerInfo& peer, http::Respond respond) {
            router_->handle(std::move(request), peer, std::move(respond));
        });
    BOOST_OUTCOME_TRY(server_->listenLocal(paths_.socketFor("gcservice"), 0666));
    spdlog::info("GC_STARTED assignments={} poll={}s evaluation={}s cpuLimit={}",
                 state_.assignments.size(), options_.poll_interval.count(),
                 options_.evaluation_interval.count(), local_.guest_configuration_cpu_limit);
    scheduleTick();
    scheduleCpuSample();
    if (options_.long_poll_wait.count() > 0) {
        long_poll_.start([this] { longPollLoop(); });
    }
    return ok();
}

void GcService::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    tick_timer_.cancel();
    cpu_timer_.cancel();
    if (server_) {
        server_->stop();
    }
    {
        const std::lock_guard lock(pause_mutex_);
        pause_cv_.notify_all();
    }
    parts_.control_plane->cancelWaits();
    long_poll_.join(); // within milliseconds: its long-poll was just cancelled
}

Result<void> GcService::reloadLocalConfig() {
    BOOST_OUTCOME_TRY(local, config::loadLocalConfig(paths_.localConfig()));
    {
        std::lock_guard lock(state_mutex_);
        local_ = local;
    }
    if (cpu_cap_) {
        BOOST_OUTCOME_TRY(cpu_cap_->apply(configuredCap()));
    }
    spdlog::info("CFG_RELOADED guestconfiguration.enabled={} config.mode={} cpuLimit={}",
                 local.guest_configuration_enabled, log::sanitize(local.config_mode),
                 local.guest_configuration_cpu_limit);
    return ok();
}

void GcService::scheduleTick() {
    std::chrono::seconds delay{0};
    {
        std::lock_guard lock(state_mutex_);
        delay = nextCycleDelay(nowSeconds());
    }
    tick_timer_.expires_after(delay);
    tick_timer_.async_wait([this](const boost::system::error_code& error) { onCycleTimer(error); });
}

void GcService::wakeCycleNow() {
    tick_timer_.expires_after(std::chrono::seconds(0));
    tick_timer_.async_wait([this](const boost::system::error_code& error) { onCycleTimer(error); });
}

void GcService::onCycleTimer(const boost::system::error_code& error) {
    if (error || stopping_) {
        return; // cancelled: stopping, or re-armed for another time
    }
    if (cycle_running_.exchange(true)) {
        return; // the running cycle re-arms the timer when it ends
    }
    boost::asio::post(workers_, [this] {
        runCycle();
        cycle_running_ = false;
        // Re-armed on the io thread, which owns the timer, from the state as the cycle left it.
        boost::asio::post(io_, [this] {
            if (!stopping_) {
                scheduleTick();
            }
        });
    });
}

std::chrono::seconds GcService::nextCycleDelay(std::int64_t now) const {
    std::int64_t next = now + std::chrono::seconds(kMaxCycleDelay).count();
    if (options_.long_poll_wait.count() == 0) {
        next = std::min(next, next_poll_);
    }
    const auto due = nextDueAt(
        state_, now, {options_.evaluation_interval, options_.retry_interval, options_.retention});
    if (due) {
        next = std::min(next, *due);
    }
    return std::clamp(std::chrono::seconds(next - now), std::chrono::seconds(kMinCycleDelay),
                      std::chrono::seconds(kMaxCycleDelay));
}

void GcService::scheduleCpuSample() {
    cpu_timer_.expires_after(platform::kCpuSampleInterval);
    cpu_timer_.async_wait([this](const boost::system::error_code& error) {
        if (error || stopping_) {
            return;
        }
        cpu_cap_->sample();
        scheduleCpuSample();
    });
}

void GcService::persist() {
    auto saved = state_file_.write(serializeGcState(state_));
    if (!saved) {
        spdlog::error("GC_STATE_SAVE_FAILED {}", log::sanitize(saved.error().message));
        return;
    }
    saved_goal_state_at_ = state_.last_goal_state_at;
}

void GcService::pollGoalState(std::int64_t now) {
    std::string etag;
    {
        std::lock_guard lock(state_mutex_);
        if (now < next_poll_) {
            return;
        }
        etag = state_.goal_state_etag;
    }
    applyGoalStateAnswer(parts_.control_plane->assignments(etag, std::chrono::seconds(0)),
                         nowSeconds());
}

bool GcService::applyGoalStateAnswer(const Result<GoalStateAnswer>& answer, std::int64_t now) {
    std::lock_guard lock(state_mutex_);
    if (!answer) {
        last_poll_error_ = answer.error().message;
        next_poll_ = now + std::min(options_.retry_interval, options_.poll_interval).count();
        spdlog::warn("GC_GOAL_STATE_FAILED {}", log::sanitize(answer.error().message));
        return false;
    }
    next_poll_ = now + options_.poll_interval.count();
    last_poll_error_.clear();
    if (answer.value().not_modified) {
        state_.last_goal_state_at = now;
        // Nothing else changed: the new time alone is worth a write only now and then.
        const auto step =
            std::min<std::chrono::seconds>(kGoalStateTimeSaveStep, options_.retention / 24);
        if (!saved_goal_state_at_ || now - *saved_goal_state_at_ >= step.count()) {
            persist();
        }
        return false;
    }
    auto incoming = parseGoalState(answer.value().body);
    if (!incoming) {
        last_poll_error_ = incoming.error().message;
        spdlog::warn("GC_GOAL_STATE_INVALID {}", log::sanitize(incoming.error().message));
        return false;
    }
    mergeGoalState(state_, std::move(incoming.value()), now);
    state_.goal_state_etag = answer.value().etag;
    persist();
    removeUnusedPackages(paths_, state_);
    spdlog::info("GC_GOAL_STATE assignments={}", state_.assignments.size());
    return true;
}

bool GcService::pauseLongPoll(std::chrono::seconds pause) {
    std::unique_lock lock(pause_mutex_);
    pause_cv_.wait_for(lock, pause, [this] { return stopping_.load(); });
    return !stopping_;
}

void GcService::longPollLoop() {
    while (!stopping_) {
        std::string etag;
        {
            std::lock_guard lock(state_mutex_);
            etag = state_.goal_state_etag;
        }
        const auto asked = std::chrono::steady_clock::now();
        // Without an ETag there is nothing to wait for: the first request is answered at once.
        auto answer = parts_.control_plane->assignments(
            etag, etag.empty() ? std::chrono::seconds(0) : options_.long_poll_wait);
        if (stopping_) {
            return;
        }
        const bool answered_at_once =
            std::chrono::steady_clock::now() - asked < std::chrono::seconds(1);
        if (applyGoalStateAnswer(answer, nowSeconds())) {
            // New or changed assignments are due at once: the cycle timer need not wait.
            boost::asio::post(io_, [this] {
                if (!stopping_) {
                    wakeCycleNow();
                }
            });
        }
        std::string etag_now;
        {
            std::lock_guard lock(state_mutex_);
            etag_now = state_.goal_state_etag;
        }
        // After a failure: the retry interval. An unchanged answer (or the same ETag again) that
        // came at once, or any answer without an ETag, means the control plane does not hold
        // requests: poll instead of spinning. Otherwise the next long-poll starts now.
        std::chrono::seconds pause{0};
        if (!answer) {
            pause = std::min(options_.retry_interval, options_.poll_interval);
        } else if (etag_now.empty() ||
                   (answered_at_once && (answer.value().not_modified || etag_now == etag))) {
            pause = options_.poll_interval;
        }
        if (pause.count() > 0 && !pauseLongPoll(pause)) {
            return;
        }
    }
}

void GcService::runCycle() {
    const auto now = nowSeconds();
    if (options_.long_poll_wait.count() == 0) {
        pollGoalState(now);
    }
    std::vector<std::string> names;
    config::LocalConfig local;
    {
        std::lock_guard lock(state_mutex_);
        if (dropExpiredAssignments(state_, now, options_.retention)) {
            spdlog::warn("GC_ASSIGNMENTS_EXPIRED no goal state for {}s",
                         options_.retention.count());
            persist();
            removeUnusedPackages(paths_, state_);
        }
        for (const auto& assignment : state_.assignments) {
            names.push_back(assignment.name);
        }
        local = local_;
    }
    bool evaluated = false;
    std::optional<AgentReleases> cycle_releases;
    // Sequential, in the goal state's order.
    for (const auto& name : names) {
        if (stopping_) {
            return;
        }
        std::optional<AssignmentState> due;
        bool retry_report = false;
        {
            std::lock_guard lock(state_mutex_);
            for (const auto& assignment : state_.assignments) {
                if (assignment.name != name) {
                    continue;
                }
                if (isDue(assignment, nowSeconds(), options_.evaluation_interval)) {
                    due = assignment;
                } else if (assignment.report_pending &&
                           isDue(assignment, nowSeconds(), options_.retry_interval)) {
                    retry_report = true;
                }
            }
        }
        if (due) {
            auto outcome = evaluateOne(std::move(*due), local, cycle_releases);
            std::lock_guard lock(state_mutex_);
            for (auto& assignment : state_.assignments) {
                // The goal state may have changed meanwhile: only the same version takes it.
                if (assignment.name == outcome.name &&
                    assignment.sequence_number == outcome.sequence_number) {
                    assignment = outcome;
                    persist();
                }
            }
            retry_report = true;
            evaluated = true;
        }
        if (retry_report) {
            sendReport(name);
        }
    }
    if (evaluated) {
        // Packages, engines and reports are done with until the next evaluation, minutes away.
        platform::returnFreedMemory();
    }
}

AgentReleases GcService::fetchAgentReleases() {
    const auto platform = agentPackagePlatform(paths_);
    auto fetched = parts_.control_plane->agentReleases(platform);
    auto releases = fetched ? parseAgentReleases(fetched.value(), platform)
                            : Result<AgentReleases>(fetched.error());
    if (!releases) {
        spdlog::warn("GC_AGENT_RELEASES_UNAVAILABLE platform={} error={}", platform,
                     log::sanitize(releases.error().message));
        AgentReleases unavailable;
        unavailable.platform = platform;
        unavailable.unavailable = "the " + platform + " agent release list could not be fetched: " +
                                  releases.error().message;
        return unavailable;
    }
    spdlog::info("GC_AGENT_RELEASES platform={} count={}", platform,
                 releases.value().releases.size());
    return std::move(releases).value();
}

AssignmentState GcService::evaluateOne(AssignmentState assignment,
                                       const config::LocalConfig& local,
                                       std::optional<AgentReleases>& cycle_releases) {
    const auto started = nowSeconds();
    auto finish = [&](json report) {
        assignment.last_report = std::move(report);
        assignment.report_pending = true;
        assignment.last_evaluated_at = nowSeconds();
        return assignment;
    };
    auto not_evaluated = [&](const std::string& code, const std::string& reason) {
        spdlog::warn("GC_NOT_EVALUATED assignment={} code={} reason={}",
                     log::sanitize(assignment.name), code, log::sanitize(reason));
        assignment.last_error =
            code == "GuestConfigurationDisabled" || code == "MonitorMode" ? std::string() : reason;
        return finish(notEvaluatedReport(assignment, code, reason, started));
    };

    const auto permission = evaluationPermission(local);
    if (!permission.allowed) {
        return not_evaluated(permission.code, permission.reason);
    }
    if (!assignment.package) {
        return not_evaluated("PackageNotFound", "The control plane offers no package for '" +
                                                    assignment.configuration_name + "' " +
                                                    assignment.version + ".");
    }
    auto type = parseAssignmentType(assignment.assignment_type);
    if (!type) {
        return not_evaluated("InvalidAssignmentType", type.error().message);
    }
    auto target = parts_.control_plane->target();
    if (!target) {
        return not_evaluated("NotConnected", target.error().message);
    }
    const std::string root_pem = target.value().package_signing_root.empty()
                                     ? std::string()
                                     : readText(target.value().package_signing_root);
    auto prepared = preparePackage(*parts_.control_plane, paths_, *assignment.package,
                                   packageRequestFor(assignment), root_pem);
    if (!prepared) {
        return not_evaluated(kPackageRefusedCode,
                             "The package was refused: " + prepared.error().message);
    }
    assignment.package_version = prepared.value().identity.version;
    auto package = loadPackage(prepared.value().directory);
    if (!package) {
        return not_evaluated("InvalidPackage", package.error().message);
    }
    EngineContext context{
        paths_, azcm::agentVersion(), AgentReleases{}, std::chrono::system_clock::now(),
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.command_timeout)};
    if (usesResourceType(package.value(), "agent_support")) {
        if (!cycle_releases) {
            cycle_releases = fetchAgentReleases();
        }
        context.agent_releases = *cycle_releases;
    }
    const bool first = assignment.applied_key != appliedKey(assignment);
    spdlog::info("GC_EVALUATION_STARTED assignment={} type={} first={}",
                 log::sanitize(assignment.name), assignment.assignment_type, first);
    const auto result = evaluate(package.value(), type.value(), first, *parts_.backend, context);
    spdlog::info("GC_EVALUATION_FINISHED assignment={} status={} resources={}",
                 log::sanitize(assignment.name), result.complianceStatus, result.resources.size());
    // Only a completed evaluation counts as "applied once" (ApplyAndMonitor): killed midway, it
    // applies again after the restart.
    assignment.applied_key = appliedKey(assignment);
    assignment.last_error.clear();
    return finish(evaluatedReport(assignment, result, first, started, nowSeconds()));
}

void GcService::sendReport(const std::string& name) {
    json report;
    {
        std::lock_guard lock(state_mutex_);
        for (const auto& assignment : state_.assignments) {
            if (assignment.name == name && assignment.report_pending) {
                report = assignment.last_report;
            }
        }
    }
    if (report.is_null()) {
        return;
    }
    auto sent = parts_.control_plane->report(report);
    std::lock_guard lock(state_mutex_);
    for (auto& assignment : state_.assignments) {
        if (assignment.name != name || assignment.last_report != report) {
            continue;
        }
        if (sent) {
            assignment.report_pending = false;
            spdlog::info("GC_REPORT_SENT assignment={} status={}", log::sanitize(name),
                         log::sanitize(reportText(report, "complianceStatus", "NotEvaluated")));
        } else {
            assignment.last_error = "report: " + sent.error().message;
            spdlog::warn("GC_REPORT_FAILED assignment={} {}", log::sanitize(name),
                         log::sanitize(sent.error().message));
        }
        persist();
    }
}

// An array of capped components, as `azcmagent show` reads every capped daemon's status.
json GcService::cpuStatus() const {
    return cpu_cap_ ? json::array({cpu_cap_->status()}) : json::array();
}

json GcService::status() const {
    std::lock_guard lock(state_mutex_);
    json assignments = json::array();
    for (const auto& a : state_.assignments) {
        const auto& report = a.last_report;
        json entry{{"name", a.name},
                   {"configurationName", a.configuration_name},
                   {"version", a.version},
                   {"assignmentType", a.assignment_type},
                   {"sequenceNumber", a.sequence_number},
                   {"lastEvaluated", a.last_evaluated_at ? rfc3339Utc(*a.last_evaluated_at) : ""},
                   {"evaluated", reportFlag(report, "evaluated")},
                   {"complianceStatus", reportText(report, "complianceStatus")},
                   {"reason", reportText(report, "reason")},
                   {"reportPending", a.report_pending},
                   {"lastError", a.last_error}};
        if (report.is_object() && report.contains("resources")) {
            entry["resources"] = report.at("resources");
        }
        assignments.push_back(std::move(entry));
    }
    const auto permission = evaluationPermission(local_);
    return json{
        {"daemon", "gcservice"},
        {"version", azcm::agentVersion()},
        // An evaluation cycle (audits, remediations) runs: an agent upgrade waits for it.
        {"busy", cycle_running_.load()},
        {"config",
         {{"guestconfiguration.enabled", local_.guest_configuration_enabled},
          {"config.mode", local_.config_mode},
          {"guestconfiguration.agent.cpulimit", local_.guest_configuration_cpu_limit}}},
        {"evaluationAllowed", permission.allowed},
        {"notEvaluatedReason", permission.reason},
        {"pollIntervalSeconds", options_.poll_interval.count()},
        {"evaluationIntervalSeconds", options_.evaluation_interval.count()},
        {"lastGoalState",
         state_.last_goal_state_at ? rfc3339Utc(*state_.last_goal_state_at) : std::string()},
        {"lastGoalStateError", last_poll_error_},
        {"assignments", assignments},
        {"cpu", cpuStatus()},
    };
}

std::unique_ptr<daemon::ControlRouter> GcService::makeControlRouter() {
    daemon::ControlRouterOptions options;
    options.daemon = "gcservice";
    options.access = options_.access;
    options.status = [this] { return status(); };
    // On the io thread, before answering: the new cap is in the kernel when the caller sees the
    // answer.
    options.reload = [this]() -> Result<json> {
        BOOST_OUTCOME_TRY(reloadLocalConfig());
        return json{{"cpu", cpuStatus()}};
    };
    options.request_shutdown = options_.request_shutdown;
    options.executor = io_.get_executor();
    return std::make_unique<daemon::ControlRouter>(std::move(options));
}

} // namespace azcm::gcservice
