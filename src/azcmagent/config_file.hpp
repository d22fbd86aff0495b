#pragma once
// The global --config FILE (docs/cli.md): a JSON object or a YAML mapping whose keys are long
// option names without dashes, e.g. {"service-principal-secret": "..."} or `verbose: true`. A value
// given on the command line wins. A .yaml/.yml file is read as YAML; any other is read as JSON, and
// as YAML when it is not JSON.
#include "common/error.hpp"

#include <filesystem>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

// Missing or unreadable file: kConfigFileNotFound (AZCM0019). Neither JSON nor YAML, or not an
// object/mapping: kInvalidArgument.
Result<nlohmann::json> loadConfigFile(const std::filesystem::path& path);

// Sets every option of `command` (or, failing that, of its parent commands) named by a key of
// `document` that the command line did not give. Keys naming no option are ignored, so one file
// can serve connect and disconnect. Values: string, number, boolean, or an array of those for
// options that take several; anything else, or a value the option refuses: kInvalidArgument.
Result<void> applyConfigFile(CLI::App& command, const nlohmann::json& document);

} // namespace azcm::azcmagent
