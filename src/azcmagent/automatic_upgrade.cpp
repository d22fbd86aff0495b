#include "azcmagent/automatic_upgrade.hpp"

#include "azcmagent/agent_release.hpp"
#include "azcmagent/himds_calls.hpp"
#include "azcmagent/upgrade_command.hpp"
#include "common/config/local_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/log/log.hpp"
#include "common/utc_time.hpp"

#include <cmath>

#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

namespace {

using nlohmann::json;

// What the timer has made of ARM's current request: when it may begin, and whether it was tried.
struct Schedule {
    std::string desired_version;
    std::string correlation_id;
    std::int64_t not_before = 0; // Unix seconds
    bool attempted = false;
};

std::filesystem::path schedulePath(const Environment& env) {
    return env.paths.agentDataDir() / "upgrade" / "automatic.json";
}

std::optional<Schedule> readSchedule(const Environment& env) {
    auto text = fs::readFile(schedulePath(env), 1 << 16);
    if (!text) {
        return std::nullopt;
    }
    const auto parsed = jsondoc::parse(text.value(), "the automatic upgrade schedule");
    if (!parsed || !parsed.value().is_object()) {
        return std::nullopt; // a damaged schedule starts over: a new delay, one more attempt
    }
    const auto& document = parsed.value();
    Schedule schedule;
    schedule.desired_version = document.value("desiredVersion", std::string());
    schedule.correlation_id = document.value("correlationId", std::string());
    schedule.not_before = document.value("notBefore", std::int64_t{0});
    schedule.attempted = document.value("attempted", false);
    return schedule;
}

Result<void> writeSchedule(const Environment& env, const Schedule& schedule) {
    BOOST_OUTCOME_TRY(fs::ensureDirectory(schedulePath(env).parent_path(), {0700, {}}));
    const json document{{"desiredVersion", schedule.desired_version},
                        {"correlationId", schedule.correlation_id},
                        {"notBefore", schedule.not_before},
                        {"attempted", schedule.attempted}};
    return fs::writeFileAtomic(schedulePath(env), document.dump(2) + "\n", {0600, {}});
}

json nothing(const std::string& reason) {
    spdlog::info("AUTO_UPGRADE_SKIPPED {}", log::sanitize(reason));
    return json{{"action", "none"}, {"reason", reason}};
}

std::int64_t unixSeconds(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

// Which of the operations an upgrade must not interrupt runs now; empty when none.
std::string busyDaemon(const Environment& env) {
    for (const char* daemon : {"extservice", "gcservice"}) {
        const auto status = daemonStatus(env, daemon);
        if (status && status->value("busy", false)) {
            return daemon;
        }
    }
    return {};
}

} // namespace

Result<json> runAutomaticUpgrade(const Environment& env,
                                 const Console& console,
                                 PackageInstaller& installer,
                                 const RandomFraction& random) {
    if (!env.is_elevated()) {
        return makeError(exitcode::kNotElevated, "upgrade must be run as root or Administrator");
    }
    auto local =
        config::loadLocalConfig(env.paths.localConfig(), config::ProxyCredentials::kRedacted);
    if (!local) {
        return local.error();
    }
    if (!local.value().automatic_upgrade_enabled) {
        return nothing("automatic upgrades are turned off on this machine "
                       "(agentupgrade.automatic.enabled is false)");
    }
    const auto status = himdsStatus(env);
    if (!status) {
        return makeError(exitcode::kHimdsUnreachable,
                         "himds does not answer: the agent's upgrade request is not known");
    }
    const auto request = status->value("agentUpgrade", json::object());
    const auto desired = request.value("desiredVersion", std::string());
    if (!request.value("enableAutomaticUpgrade", false) || desired.empty()) {
        return nothing("Azure asks for no automatic upgrade");
    }
    const auto parsed = parseReleaseRequest(desired);
    if (!parsed) {
        return nothing("Azure's desired version '" + desired + "' is not a version");
    }
    BOOST_OUTCOME_TRY(installed, installer.installedVersion());
    if (parsed.value().exact == installed) {
        return nothing("the agent is at the desired version " + installed.text());
    }

    const auto correlation_id = request.value("correlationId", std::string());
    const auto now = unixSeconds(env.now());
    auto schedule = readSchedule(env);
    if (!schedule || schedule->desired_version != desired ||
        schedule->correlation_id != correlation_id) {
        const auto max_delay = local.value().automatic_upgrade_max_delay_minutes * 60;
        schedule =
            Schedule{desired, correlation_id,
                     now + static_cast<std::int64_t>(std::floor(random() * max_delay)), false};
        BOOST_OUTCOME_TRY(writeSchedule(env, *schedule));
        spdlog::info("AUTO_UPGRADE_SCHEDULED desired={} correlationId={} notBefore={}", desired,
                     log::sanitize(correlation_id), schedule->not_before);
    }
    if (schedule->attempted) {
        return nothing("the request for " + desired +
                       " was attempted already; Azure must ask again (a new desiredVersion or "
                       "correlationId)");
    }
    if (now < schedule->not_before) {
        const auto not_before = rfc3339Seconds(
            std::chrono::system_clock::time_point(std::chrono::seconds(schedule->not_before)));
        spdlog::info("AUTO_UPGRADE_WAITING desired={} notBefore={}", desired, not_before);
        return json{{"action", "waiting"},
                    {"reason", "a random delay spreads a fleet's upgrades"},
                    {"notBefore", not_before}};
    }
    if (const auto busy = busyDaemon(env); !busy.empty()) {
        return nothing(busy + " is carrying out an operation; the next run tries again");
    }
    BOOST_OUTCOME_TRY(lock, tryLockUpgrades(env));
    if (!lock) {
        return nothing("another agent upgrade is running; the next run tries again");
    }

    schedule->attempted = true;
    BOOST_OUTCOME_TRY(writeSchedule(env, *schedule));
    spdlog::info("AUTO_UPGRADE_START desired={} correlationId={}", desired,
                 log::sanitize(correlation_id));
    UpgradeOptions options;
    options.version = desired;
    options.correlation_id = correlation_id;
    auto upgraded = runUpgradeLocked(options, env, console, installer);
    if (!upgraded) {
        // Whatever stopped it (nothing published, a refused package, a rollback), ARM hears it.
        if (auto reported = himdsReportUpgrade(env, "Failed", upgraded.error().message, desired,
                                               correlation_id);
            !reported) {
            spdlog::warn("UPGRADE_UNREPORTED {}", log::sanitize(reported.error().message));
        }
        return upgraded.error();
    }
    auto result = std::move(upgraded).value();
    result["action"] = result.value("upgraded", false) ? "upgraded" : "none";
    return result;
}

} // namespace azcm::azcmagent
