#pragma once
// `azcmagent extension list | remove` (docs/cli.md): local management of the installed extensions
// while the extension manager (extd) is stopped; works connected or not. Root only.
#include "azcmagent/console.hpp"
#include "azcmagent/environment.hpp"
#include "common/error.hpp"

#include <string>

#include <CLI/CLI.hpp>

namespace azcm::azcmagent {

// The real agent's "extension tool error" (exit code 72, AZCM0072).
inline constexpr int kExtensionToolError = 72;

struct ExtensionOptions {
    std::string remove_name;
    bool remove_all = false;
};

// Adds `extension` with its `list` and `remove` subcommands to `app`.
CLI::App* defineExtensionCommand(CLI::App& app, ExtensionOptions& options);

Result<void> runExtension(const CLI::App& command,
                          const ExtensionOptions& options,
                          const Environment& env,
                          const Console& console);

} // namespace azcm::azcmagent
