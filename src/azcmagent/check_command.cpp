#include "azcmagent/check_command.hpp"

#include "azcmagent/clouds.hpp"
#include "azcmagent/connectivity_check.hpp"
#include "azcmagent/onboarding_control_plane.hpp"
#include "azcmagent/validation.hpp"
#include "common/config/agent_config.hpp"
#include "common/config/local_config.hpp"
#include "common/config/proxy_policy.hpp"
#include "common/log/log.hpp"

#include <algorithm>
#include <cctype>

#include <boost/algorithm/string/predicate.hpp>

#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

namespace {

// Each stage of a probe gets a few seconds; the whole command ends within kOverallDeadline.
constexpr std::chrono::seconds kOverallDeadline{20};
constexpr std::size_t kParallelProbes = 4;

bool isBuiltinCloud(const config::CloudConfig& cloud) {
    return cloud.ca_cert_path.empty() &&
           (cloud.name == "AzureCloud" || cloud.name == "AzureUSGovernment" ||
            cloud.name == "AzureChinaCloud");
}

struct Target {
    config::CloudConfig cloud;
    bool builtin = true;
    std::string location;
};

// The cloud and region to check: the flags, else the connected machine's, else AzureCloud.
Result<Target> chooseTarget(const CheckOptions& options, const Environment& env) {
    Target target;
    if (!options.location.empty()) {
        AZCM_ASSIGN_OR_RETURN(target.location, normalizeLocation(options.location));
    }
    if (!options.cloud.empty() && !options.cloud_config.empty()) {
        return makeError(exitcode::kInvalidArgument,
                         "use either --cloud or --cloud-config, not both");
    }
    if (!options.cloud_config.empty()) {
        auto loaded = config::loadCloudConfig(options.cloud_config);
        if (!loaded) {
            return makeError(exitcode::kCloudConfig, "cannot use --cloud-config " +
                                                         options.cloud_config + ": " +
                                                         loaded.error().message);
        }
        target.cloud = std::move(loaded).value();
        target.builtin = false;
        return target;
    }
    if (!options.cloud.empty()) {
        if (target.location.empty()) {
            return makeError(exitcode::kInvalidArgument, "--cloud must be used with --location");
        }
        AZCM_ASSIGN_OR_RETURN(target.cloud, builtinCloud(options.cloud));
        return target;
    }
    auto connected = config::loadAgentConfig(env.paths.agentConfig());
    if (connected) {
        target.cloud = connected.value().cloud;
        target.builtin = isBuiltinCloud(target.cloud);
        if (target.location.empty()) {
            target.location = connected.value().location;
        }
        return target;
    }
    if (connected.error().code != exitcode::kConfigFileNotFound) {
        return makeError(exitcode::kLocalConfigRead,
                         "cannot read the agent configuration: " + connected.error().message);
    }
    target.cloud = config::azurePublicCloud();
    return target;
}

Result<bool> wantsSqlEndpoints(const std::vector<std::string>& extensions) {
    bool sql = false;
    for (const auto& extension : extensions) {
        if (boost::iequals(extension, "sql") || boost::iequals(extension, "all")) {
            sql = true;
            continue;
        }
        return makeError(exitcode::kInvalidArgument,
                         "unknown value '" + extension + "' for --extensions; use all or sql");
    }
    return sql;
}

} // namespace

CLI::App* defineCheckCommand(CLI::App& app, CheckOptions& options) {
    auto* check = app.add_subcommand("check", "Check connectivity to the endpoints of the cloud");
    check->add_option("--cloud", options.cloud,
                      "AzureCloud, AzureUSGovernment or AzureChinaCloud (with --location); "
                      "default: the connected machine's cloud, else AzureCloud");
    check->add_option("--cloud-config", options.cloud_config,
                      "cloud.json of a custom cloud (endpoints and CA)");
    check->add_option("-l,--location", options.location,
                      "Azure region; default: the connected machine's region");
    check
        ->add_option("-e,--extensions", options.extensions,
                     "Also check the endpoints of these extensions: all or sql")
        ->delimiter(',');
    check->add_flag("--include-all", options.include_all,
                    "Also check the endpoints of extended scenarios (license validation)");
    check->add_flag("-p,--enable-pls-check", options.enable_pls_check,
                    "Require the Arc endpoints to resolve to private addresses (private link)");
    return check;
}

Result<void> runCheckWith(const CheckOptions& options,
                          const Environment& env,
                          const Console& console,
                          const EndpointProber& prober) {
    BOOST_OUTCOME_TRY(sql, wantsSqlEndpoints(options.extensions));
    BOOST_OUTCOME_TRY(target, chooseTarget(options, env));
    if (sql && target.location.empty()) {
        return makeError(exitcode::kInvalidArgument,
                         "--extensions needs --location (the extension endpoints are regional)");
    }
    BOOST_OUTCOME_TRY(policy, configuredProxy(env));

    EndpointPlanInput plan_input;
    plan_input.cloud = target.cloud;
    plan_input.builtin_cloud = target.builtin;
    plan_input.location = target.location;
    plan_input.sql_extension = sql;
    plan_input.include_all = options.include_all;
    const auto endpoints = planEndpoints(plan_input);
    if ((sql || options.include_all) && target.cloud.name != "AzureCloud") {
        console.warning("no extension or extended-scenario endpoints are known for cloud " +
                        target.cloud.name + "; checking the agent's endpoints only");
    }

    std::vector<http::TlsProbeRequest> requests;
    for (const auto& endpoint : endpoints) {
        http::TlsProbeRequest request;
        request.url = endpoint.url;
        request.ca_file = target.cloud.ca_cert_path;
        request.proxy_url = policy.proxyFor(endpoint.target);
        requests.push_back(std::move(request));
    }
    console.progress(1, 1, "Testing connectivity to endpoints...");
    const auto results = prober(requests);

    CheckReport report;
    report.cloud = target.cloud.name;
    report.location = target.location;
    report.proxy = policy.describe();
    report.pls_check = options.enable_pls_check;
    const auto now = env.now();
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const http::TlsProbeResult probe = i < results.size() ? results[i] : http::TlsProbeResult{};
        std::optional<std::string> proxy;
        if (requests[i].proxy_url) {
            proxy = policy.describe();
        }
        report.endpoints.push_back(
            judgeEndpoint(endpoints[i], probe, proxy, options.enable_pls_check, now));
        spdlog::info("CHECK_ENDPOINT {} reachable={} tls={} passed={} {}",
                     log::sanitize(endpoints[i].endpoint), probe.reachable(), probe.tls_version,
                     report.endpoints.back().passed,
                     log::sanitize(report.endpoints.back().failure));
    }
    report.clock = skewOf(report.endpoints);

    if (console.jsonMode()) {
        console.printJson(toJson(report));
    } else {
        for (const auto& line : formatText(report)) {
            console.line(line);
        }
    }
    if (report.clock.exceeds_limit) {
        console.warning("the local clock differs from the control plane's by more than 5 minutes");
    }
    return checkOutcome(report);
}

Result<void> runCheck(const CheckOptions& options, const Environment& env, const Console& console) {
    const EndpointProber prober = [](const std::vector<http::TlsProbeRequest>& requests) {
        return http::probeEndpoints(requests, http::TlsProbeTimeouts{}, kParallelProbes,
                                    std::chrono::steady_clock::now() + kOverallDeadline);
    };
    return runCheckWith(options, env, console, prober);
}

} // namespace azcm::azcmagent
