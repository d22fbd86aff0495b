#pragma once
// `azcmagent config`: Manage the local configuration (spec section 2).
#include "console.hpp"
#include "environment.hpp"
#include "error.hpp"

#include <CLI/CLI.hpp>

namespace azcm::cli {

struct ConfigOptions {};

// Adds the `config` subcommand (and its own subcommands and flags) to `app`.
CLI::App* defineConfigCommand(CLI::App& app, ConfigOptions& options);

Result<void> runConfig(const ConfigOptions& options, const Environment& env, const Console& console);

} // namespace azcm::cli
