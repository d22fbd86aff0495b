#pragma once
// `azcmagent check`: Check connectivity to the endpoints of the cloud (docs/cli.md).
#include "azcmagent/console.hpp"
#include "azcmagent/environment.hpp"
#include "common/error.hpp"
#include "common/http/tls_probe.hpp"

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace azcm::azcmagent {

struct CheckOptions {
    std::string cloud;
    std::string cloud_config;
    std::string location;
    std::vector<std::string> extensions; // "all" or "sql"
    bool include_all = false;
    bool enable_pls_check = false;
};

// Adds the `check` subcommand (and its own subcommands and flags) to `app`.
CLI::App* defineCheckCommand(CLI::App& app, CheckOptions& options);

// Probes the endpoints (tls_probe in production, a fake in unit tests); results in request order.
using EndpointProber = std::function<std::vector<http::TlsProbeResult>(
    const std::vector<http::TlsProbeRequest>& requests)>;

Result<void> runCheck(const CheckOptions& options, const Environment& env, const Console& console);
Result<void> runCheckWith(const CheckOptions& options,
                          const Environment& env,
                          const Console& console,
                          const EndpointProber& prober);

} // namespace azcm::azcmagent
