#pragma once
// `azcmagent check`: Check connectivity to the endpoints of the cloud (spec 1.7).
#include "console.hpp"
#include "environment.hpp"
#include "error.hpp"

#include <CLI/CLI.hpp>

namespace azcm::cli {

struct CheckOptions {};

// Adds the `check` subcommand (and its own subcommands and flags) to `app`.
CLI::App* defineCheckCommand(CLI::App& app, CheckOptions& options);

Result<void> runCheck(const CheckOptions& options, const Environment& env, const Console& console);

} // namespace azcm::cli
