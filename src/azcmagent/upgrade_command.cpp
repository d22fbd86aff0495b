#include "azcmagent/upgrade_command.hpp"

#include "azcmagent/agent_release.hpp"
#include "azcmagent/automatic_upgrade.hpp"
#include "azcmagent/himds_calls.hpp"
#include "azcmagent/onboarding_control_plane.hpp"
#include "azcmagent/upgrade_health.hpp"
#include "azcmagent/upgrade_journal.hpp"
#include "common/agent_service/agent_service_client.hpp"
#include "common/config/agent_config.hpp"
#include "common/crypto/encoding.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/ipc/himds_token_source.hpp"
#include "common/json/json_document.hpp"
#include "common/log/log.hpp"
#include "common/platform/file_lock.hpp"
#include "common/platform/private_directory.hpp"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

namespace {

using nlohmann::json;

// Larger than any agent package (the MSI is about 15 MB); a feed that announces more is refused
// before a byte is fetched.
constexpr std::uint64_t kMaxPackageBytes = std::uint64_t{512} << 20;
constexpr int kSteps = 5;

struct FeedTarget {
    config::AgentConfig agent;
    std::string signing_root_pem;
    http::ClientOptions client;
};

Result<FeedTarget> feedTarget(const Environment& env) {
    auto agent = config::loadAgentConfig(env.paths.agentConfig());
    if (!agent) {
        if (agent.error().code == exitcode::kConfigFileNotFound) {
            return makeError(exitcode::kGeneric,
                             "the machine is not connected: agent releases come from the "
                             "control plane's feed, which needs the machine's identity");
        }
        return makeError(exitcode::kLocalConfigRead,
                         "cannot read the agent configuration: " + agent.error().message);
    }
    FeedTarget target;
    target.agent = std::move(agent).value();
    const auto& root_path = target.agent.cloud.package_signing_root_path;
    if (!root_path.empty()) {
        auto pem = fs::readFile(root_path, 1 << 20);
        if (!pem) {
            return makeError(exitcode::kGeneric,
                             "cannot read the package-signing root: " + pem.error().message);
        }
        target.signing_root_pem = std::move(pem).value();
    }
    BOOST_OUTCOME_TRY(proxy, configuredProxy(env));
    target.client.ca_file = target.agent.cloud.ca_cert_path;
    target.client.proxy_url = proxy.proxyFor(config::TargetService::kArc);
    return target;
}

// Reports the outcome of an upgrade to himds, which sends it to ARM with its next heartbeat. A
// himds that does not take it leaves the upgrade as it is: the warning says it went unreported.
void reportOutcome(const Environment& env,
                   const Console& console,
                   const UpgradeJournal& journal,
                   const std::string& failure) {
    auto reported = himdsReportUpgrade(env, failure.empty() ? "Success" : "Failed", failure,
                                       journal.to.text(), journal.correlation_id);
    if (!reported) {
        spdlog::warn("UPGRADE_UNREPORTED {}", log::sanitize(reported.error().message));
        console.warning("the outcome could not be reported to Azure: " + reported.error().message);
    }
}

// Where the package of the installed release is kept after an upgrade, with its version and
// SHA-256, so the next upgrade can go back to it without the feed.
std::filesystem::path keptPackage(const std::filesystem::path& dir, const std::string& platform) {
    return dir / ("installed." + platform);
}
std::filesystem::path keptRecord(const std::filesystem::path& dir) {
    return dir / "installed.json";
}

bool keptPackageIs(const std::filesystem::path& dir,
                   const std::string& platform,
                   const AgentVersion& version) {
    auto record = fs::readFile(keptRecord(dir), 1 << 16);
    if (!record) {
        return false;
    }
    const auto parsed = jsondoc::parse(record.value(), "the kept package's record");
    if (!parsed || !parsed.value().is_object() ||
        parsed.value().value("version", std::string()) != version.text()) {
        return false;
    }
    const auto& document = parsed.value();
    auto bytes = fs::readFile(keptPackage(dir, platform), kMaxPackageBytes);
    return bytes && crypto::hexEncode(crypto::sha256(bytes.value())) ==
                        document.value("sha256", std::string());
}

Result<void> keepInstalledPackage(const std::filesystem::path& dir,
                                  const std::string& platform,
                                  const std::filesystem::path& package,
                                  const AgentVersion& version) {
    BOOST_OUTCOME_TRY(bytes, fs::readFile(package, kMaxPackageBytes));
    const json record{{"version", version.text()},
                      {"sha256", crypto::hexEncode(crypto::sha256(bytes))}};
    std::error_code error;
    std::filesystem::rename(package, keptPackage(dir, platform), error);
    if (error) {
        return makeError(exitcode::kGeneric,
                         "cannot keep the installed package: " + error.message());
    }
    return fs::writeFileAtomic(keptRecord(dir), record.dump(2) + "\n", {0600, {}});
}

// After an upgrade or a rollback: `installed` (of `version`) becomes the kept package, and
// `other` goes unless it is that same file. A failure costs the next upgrade a download, so it
// is only logged.
void keepOnly(const std::filesystem::path& dir,
              crypto::AgentPlatform platform,
              const std::filesystem::path& installed,
              const AgentVersion& version,
              const std::filesystem::path& other) {
    const std::string platform_name(crypto::agentPlatformName(platform));
    const auto kept = keptPackage(dir, platform_name);
    if (installed != kept) {
        if (auto done = keepInstalledPackage(dir, platform_name, installed, version); !done) {
            spdlog::warn("UPGRADE_KEEP_FAILED {}", log::sanitize(done.error().message));
        }
    }
    std::error_code ignored;
    if (other != kept) {
        std::filesystem::remove(other, ignored);
    }
}

// Downloads `release` into `dir` and verifies it; a refused package is deleted.
Result<std::filesystem::path> fetchVerified(const agentservice::AgentServiceClient& feed,
                                            const AgentRelease& release,
                                            crypto::AgentPlatform platform,
                                            const std::filesystem::path& dir,
                                            const std::string& signing_root_pem) {
    const auto package =
        dir / (release.version.text() + "." + std::string(crypto::agentPlatformName(platform)));
    BOOST_OUTCOME_TRY(feed.download(release.url, release.size, kMaxPackageBytes, package));
    auto bytes = fs::readFileOfSize(package, release.size);
    if (!bytes) {
        return bytes.error();
    }
    if (auto verified = verifyAgentPackage(bytes.value(), release, platform, signing_root_pem);
        !verified) {
        std::error_code ignored;
        std::filesystem::remove(package, ignored);
        spdlog::error("UPGRADE_PACKAGE_REFUSED version={} {}", release.version.text(),
                      log::sanitize(verified.error().message));
        return verified.error();
    }
    return package;
}

// The installed release's package, to go back to: the one kept by the last upgrade, else the
// installed version from the feed. Without either a failed upgrade could not be undone, so the
// upgrade does not begin.
Result<std::filesystem::path> previousPackage(const agentservice::AgentServiceClient& feed,
                                              const std::vector<AgentRelease>& releases,
                                              const AgentVersion& installed,
                                              crypto::AgentPlatform platform,
                                              const std::filesystem::path& dir,
                                              const std::string& signing_root_pem) {
    const std::string platform_name(crypto::agentPlatformName(platform));
    if (keptPackageIs(dir, platform_name, installed)) {
        return keptPackage(dir, platform_name);
    }
    const auto published = std::find_if(releases.begin(), releases.end(), [&](const auto& release) {
        return release.version == installed;
    });
    if (published == releases.end()) {
        return makeError(exitcode::kGeneric,
                         "the installed version " + installed.text() +
                             " is neither kept on this machine nor published, so it could not "
                             "be restored if the upgrade failed: not upgrading");
    }
    return fetchVerified(feed, *published, platform, dir, signing_root_pem);
}

// The check of `version` once the journal's install is done: the version itself only where the
// install replaces the running binaries (not the sandbox's recorder).
HealthCheck healthCheckFor(const Environment& env,
                           const PackageInstaller& installer,
                           const UpgradeJournal& journal,
                           const AgentVersion& version) {
    HealthCheck check;
    check.version = installer.replacesRunningAgent() ? std::optional(version) : std::nullopt;
    check.since = journal.started;
    check.daemons = journal.daemons;
    check.deadline = healthCheckDeadline(env);
    return check;
}

// Installs the journal's previous package again and checks it. The error always says the
// upgrade failed and why; it also says when going back failed too.
Result<json> rollBack(const Environment& env,
                      const Console& console,
                      PackageInstaller& installer,
                      const std::filesystem::path& dir,
                      UpgradeJournal journal) {
    journal.step = UpgradeStep::kRollingBack;
    BOOST_OUTCOME_TRY(writeUpgradeJournal(dir, journal));
    spdlog::error("UPGRADE_ROLLBACK from={} to={} reason={}", journal.to.text(),
                  journal.from.text(), log::sanitize(journal.failure));
    console.line("Upgrade to " + journal.to.text() + " failed (" + journal.failure +
                 "); reinstalling " + journal.from.text() + "...");
    std::string message = journal.failure + "; rolled back to " + journal.from.text();
    auto reinstalled = installer.install(journal.previous_package, journal.from, true);
    if (reinstalled) {
        if (auto healthy =
                waitUntilHealthy(env, healthCheckFor(env, installer, journal, journal.from));
            !healthy) {
            message += ", whose " + healthy.error().message;
        }
    } else {
        message = journal.failure + "; reinstalling " + journal.from.text() +
                  " failed too: " + reinstalled.error().message;
    }
    spdlog::error("UPGRADE_ROLLED_BACK {}", log::sanitize(message));
    reportOutcome(env, console, journal, message);
    if (reinstalled) {
        keepOnly(dir, installer.platform(), journal.previous_package, journal.from,
                 journal.package);
    }
    BOOST_OUTCOME_TRY(removeUpgradeJournal(dir));
    return makeError(exitcode::kGeneric, "upgrade to " + journal.to.text() + " failed: " + message);
}

// From the journal's kChecking step on: healthy, the upgrade is done; else it is undone.
Result<json> checkOrRollBack(const Environment& env,
                             const Console& console,
                             PackageInstaller& installer,
                             const std::filesystem::path& dir,
                             UpgradeJournal journal) {
    journal.step = UpgradeStep::kChecking;
    BOOST_OUTCOME_TRY(writeUpgradeJournal(dir, journal));
    console.progress(5, kSteps, "Checking the agent's health...");
    const HealthCheck check = healthCheckFor(env, installer, journal, journal.to);
    if (auto whole = installer.whollyInstalled(journal.to); !whole) {
        journal.failure = whole.error().message;
        return rollBack(env, console, installer, dir, journal);
    }
    if (auto healthy = waitUntilHealthy(env, check); !healthy) {
        journal.failure = healthy.error().message;
        return rollBack(env, console, installer, dir, journal);
    }
    keepOnly(dir, installer.platform(), journal.package, journal.to, journal.previous_package);
    BOOST_OUTCOME_TRY(removeUpgradeJournal(dir));
    spdlog::info("UPGRADE_DONE from={} to={}", journal.from.text(), journal.to.text());
    reportOutcome(env, console, journal, "");
    return json{{"previousVersion", journal.from.text()},
                {"version", journal.to.text()},
                {"installer", installer.name()},
                {"upgraded", true}};
}

// The steps that change the machine, each after its journal entry.
Result<json> installWithRollback(const Environment& env,
                                 const Console& console,
                                 PackageInstaller& installer,
                                 const std::filesystem::path& dir,
                                 UpgradeJournal journal) {
    BOOST_OUTCOME_TRY(writeUpgradeJournal(dir, journal));
    console.progress(4, kSteps, "Installing with " + installer.name() + "...");
    spdlog::info("UPGRADE_INSTALL from={} to={} installer={}", journal.from.text(),
                 journal.to.text(), installer.name());
    if (auto installed = installer.install(journal.package, journal.to, journal.to < journal.from);
        !installed) {
        journal.failure = "the install failed: " + installed.error().message;
        return rollBack(env, console, installer, dir, journal);
    }
    return checkOrRollBack(env, console, installer, dir, journal);
}

// An upgrade killed before it ended is finished (healthy) or rolled back before anything else.
Result<std::optional<json>> resumeInterrupted(const Environment& env,
                                              const Console& console,
                                              PackageInstaller& installer,
                                              const std::filesystem::path& dir) {
    BOOST_OUTCOME_TRY(journal, readUpgradeJournal(dir));
    if (!journal) {
        return std::optional<json>();
    }
    spdlog::warn("UPGRADE_RESUME from={} to={}", journal->from.text(), journal->to.text());
    console.line("Finishing the interrupted upgrade from " + journal->from.text() + " to " +
                 journal->to.text() + "...");
    if (journal->step == UpgradeStep::kRollingBack) {
        return rollBack(env, console, installer, dir, *journal).error();
    }
    if (journal->step == UpgradeStep::kInstalling) {
        // Killed before, during or after the package manager ran: installing the same verified
        // package again completes a half-done install (dpkg's half-configured states included)
        // and costs one install when it was complete, where waiting for a version that never
        // came would cost the whole health-check deadline.
        BOOST_OUTCOME_TRY(done, installWithRollback(env, console, installer, dir, *journal));
        return std::optional<json>(std::move(done));
    }
    BOOST_OUTCOME_TRY(result, checkOrRollBack(env, console, installer, dir, *journal));
    return std::optional<json>(std::move(result));
}

} // namespace

CLI::App* defineUpgradeCommand(CLI::App& app, UpgradeOptions& options) {
    auto* upgrade =
        app.add_subcommand("upgrade", "Upgrade the agent to a release the control plane publishes");
    auto* version = upgrade->add_option(
        "--version", options.version,
        "MAJOR.MINOR (its newest build) or a whole four-part version; default: the newest "
        "release. A named version may be older than the installed one");
    upgrade
        ->add_flag("--automatic", options.automatic,
                   "Carry out Azure's automatic upgrade request, if any and if this machine "
                   "allows it (what the azcmagent-autoupgrade timer runs)")
        ->excludes(version);
    return upgrade;
}

Result<json>
runUpgrade(const UpgradeOptions& options, const Environment& env, const Console& console) {
    if (!env.is_elevated()) {
        return makeError(exitcode::kNotElevated, "upgrade must be run as root or Administrator");
    }
    BOOST_OUTCOME_TRY(installer, systemInstaller(env.paths));
    if (options.automatic) {
        std::random_device seed;
        std::mt19937_64 generator(seed());
        std::uniform_real_distribution<double> fraction(0.0, 1.0);
        return runAutomaticUpgrade(env, console, *installer, [&] { return fraction(generator); });
    }
    return runUpgradeWith(options, env, console, *installer);
}

Result<std::optional<platform::FileLock>> tryLockUpgrades(const Environment& env) {
    // Root's own directory: nobody else may swap a package between its check and its install.
    const auto dir = env.paths.agentDataDir() / "upgrade";
    BOOST_OUTCOME_TRY(fs::ensureDirectory(dir, {0700, {}}));
    BOOST_OUTCOME_TRY(platform::PrivateDirectory::open(dir));
    return platform::FileLock::tryAcquire(dir / "upgrade.lock");
}

Result<json> runUpgradeWith(const UpgradeOptions& options,
                            const Environment& env,
                            const Console& console,
                            PackageInstaller& installer) {
    if (!env.is_elevated()) {
        return makeError(exitcode::kNotElevated, "upgrade must be run as root or Administrator");
    }
    // A bad --version is refused before anything is created.
    BOOST_OUTCOME_TRY(parseReleaseRequest(options.version));
    BOOST_OUTCOME_TRY(lock, tryLockUpgrades(env));
    if (!lock) {
        return makeError(exitcode::kGeneric, "another agent upgrade is running");
    }
    return runUpgradeLocked(options, env, console, installer);
}

Result<json> runUpgradeLocked(const UpgradeOptions& options,
                              const Environment& env,
                              const Console& console,
                              PackageInstaller& installer) {
    BOOST_OUTCOME_TRY(request, parseReleaseRequest(options.version));
    const auto dir = env.paths.agentDataDir() / "upgrade";
    BOOST_OUTCOME_TRY(resumed, resumeInterrupted(env, console, installer, dir));
    if (resumed) {
        return *resumed;
    }

    BOOST_OUTCOME_TRY(target, feedTarget(env));
    BOOST_OUTCOME_TRY(installed, installer.installedVersion());
    const auto platform = installer.platform();
    const std::string platform_name(crypto::agentPlatformName(platform));
    console.progress(1, kSteps, "Asking the control plane for agent releases...");
    ipc::HimdsTokenSource tokens(env.paths.socketFor("himds"));
    const agentservice::AgentServiceClient feed(target.client,
                                                target.agent.cloud.endpoints.identity, tokens);
    BOOST_OUTCOME_TRY(list, feed.agentVersions(platform_name));
    BOOST_OUTCOME_TRY(releases, parseAgentReleases(list, platform));
    BOOST_OUTCOME_TRY(release, chooseRelease(releases, request, installed));
    if (release.version == installed) {
        spdlog::info("UPGRADE_NOT_NEEDED version={}", installed.text());
        return json{{"previousVersion", installed.text()},
                    {"version", installed.text()},
                    {"installer", installer.name()},
                    {"upgraded", false}};
    }

    console.progress(2, kSteps, "Keeping the installed agent " + installed.text() + "...");
    BOOST_OUTCOME_TRY(previous, previousPackage(feed, releases, installed, platform, dir,
                                                target.signing_root_pem));
    console.progress(3, kSteps,
                     "Downloading and verifying agent " + release.version.text() + "...");
    UpgradeJournal journal;
    journal.from = installed;
    journal.to = release.version;
    journal.correlation_id = options.correlation_id;
    auto package = fetchVerified(feed, release, platform, dir, target.signing_root_pem);
    if (!package) {
        reportOutcome(env, console, journal, package.error().message);
        return package.error();
    }

    journal.package = package.value();
    journal.previous_package = previous;
    journal.daemons = answeringDaemons(env);
    journal.started = env.now();
    return installWithRollback(env, console, installer, dir, std::move(journal));
}

} // namespace azcm::azcmagent
