#pragma once
// `azcmagent config list | get | set | clear | info` (docs/cli.md, docs/config.md): reads for
// anyone, writes for root only, serialised by a lock and crash-safe, then each affected daemon
// reloads.
#include "azcmagent/console.hpp"
#include "azcmagent/environment.hpp"
#include "common/error.hpp"

#include <string>

#include <CLI/CLI.hpp>

namespace azcm::azcmagent {

struct ConfigOptions {
    std::string action; // list, get, set, clear or info: the subcommand given
    std::string key;
    std::string value;
    bool add = false;
    bool remove = false;
};

// Adds the `config` subcommand (and its own subcommands and flags) to `app`.
CLI::App* defineConfigCommand(CLI::App& app, ConfigOptions& options);

Result<void>
runConfig(const ConfigOptions& options, const Environment& env, const Console& console);

} // namespace azcm::azcmagent
