#include "azcmagent/upgrade_command.hpp"

#include "azcmagent/agent_release.hpp"
#include "azcmagent/himds_calls.hpp"
#include "azcmagent/onboarding_control_plane.hpp"
#include "common/agent_service/agent_service_client.hpp"
#include "common/config/agent_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/ipc/himds_token_source.hpp"
#include "common/log/log.hpp"
#include "common/platform/private_directory.hpp"

#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

namespace {

using nlohmann::json;

// Larger than any agent package (the MSI is about 15 MB); a feed that announces more is refused
// before a byte is fetched.
constexpr std::uint64_t kMaxPackageBytes = std::uint64_t{512} << 20;
constexpr int kSteps = 4;

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

// Reports the outcome of an install to himds, which sends it to ARM with its next heartbeat. A
// himds that does not take it leaves the upgrade as it is: the message says it went unreported.
void reportOutcome(const Environment& env,
                   const Console& console,
                   const AgentVersion& version,
                   const Result<void>& outcome) {
    auto reported = himdsReportUpgrade(env, outcome ? "Success" : "Failed",
                                       outcome ? "" : outcome.error().message, version.text());
    if (!reported) {
        spdlog::warn("UPGRADE_UNREPORTED {}", log::sanitize(reported.error().message));
        console.warning("the outcome could not be reported to Azure: " + reported.error().message);
    }
}

} // namespace

CLI::App* defineUpgradeCommand(CLI::App& app, UpgradeOptions& options) {
    auto* upgrade =
        app.add_subcommand("upgrade", "Upgrade the agent to a release the control plane publishes");
    upgrade->add_option("--version", options.version,
                        "MAJOR.MINOR (its newest build) or a whole four-part version; default: "
                        "the newest release. A named version may be older than the installed one");
    return upgrade;
}

Result<json>
runUpgrade(const UpgradeOptions& options, const Environment& env, const Console& console) {
    if (!env.is_elevated()) {
        return makeError(exitcode::kNotElevated, "upgrade must be run as root or Administrator");
    }
    BOOST_OUTCOME_TRY(installer, systemInstaller(env.paths));
    return runUpgradeWith(options, env, console, *installer);
}

Result<json> runUpgradeWith(const UpgradeOptions& options,
                            const Environment& env,
                            const Console& console,
                            PackageInstaller& installer) {
    if (!env.is_elevated()) {
        return makeError(exitcode::kNotElevated, "upgrade must be run as root or Administrator");
    }
    BOOST_OUTCOME_TRY(request, parseReleaseRequest(options.version));
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
    json result{{"previousVersion", installed.text()},
                {"version", release.version.text()},
                {"installer", installer.name()},
                {"upgraded", false}};
    if (release.version == installed) {
        spdlog::info("UPGRADE_NOT_NEEDED version={}", installed.text());
        return result;
    }

    console.progress(2, kSteps, "Downloading agent " + release.version.text() + "...");
    const auto directory = env.paths.agentDataDir() / "upgrade";
    // Root's own directory: nobody else may swap the package between its check and its install.
    BOOST_OUTCOME_TRY(fs::ensureDirectory(directory, {0700, {}}));
    BOOST_OUTCOME_TRY(platform::PrivateDirectory::open(directory));
    const auto package = directory / (release.version.text() + "." + platform_name);
    BOOST_OUTCOME_TRY(feed.download(release.url, release.size, kMaxPackageBytes, package));

    console.progress(3, kSteps, "Verifying the package...");
    auto bytes = fs::readFileOfSize(package, release.size);
    if (!bytes) {
        return bytes.error();
    }
    if (auto verified =
            verifyAgentPackage(bytes.value(), release, platform, target.signing_root_pem);
        !verified) {
        std::error_code ignored;
        std::filesystem::remove(package, ignored);
        spdlog::error("UPGRADE_PACKAGE_REFUSED version={} {}", release.version.text(),
                      log::sanitize(verified.error().message));
        reportOutcome(env, console, release.version, verified);
        return verified.error();
    }

    console.progress(4, kSteps, "Installing with " + installer.name() + "...");
    spdlog::info("UPGRADE_INSTALL from={} to={} installer={}", installed.text(),
                 release.version.text(), installer.name());
    const auto outcome = installer.install(package, release.version, release.version < installed);
    reportOutcome(env, console, release.version, outcome);
    if (!outcome) {
        spdlog::error("UPGRADE_FAILED version={} {}", release.version.text(),
                      log::sanitize(outcome.error().message));
        return outcome.error();
    }
    spdlog::info("UPGRADE_DONE version={}", release.version.text());
    result["upgraded"] = true;
    return result;
}

} // namespace azcm::azcmagent
