#pragma once
// YAML for the --config file (docs/cli.md): a YAML document as the nlohmann::json value it would be
// in JSON, so both formats go through the same code. Plain scalars resolve as the YAML 1.2 core
// schema does (null, true/false, integers, floats, else strings); quoted scalars and !!str stay
// strings; sequences become arrays and mappings objects.
#include "common/error.hpp"

#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

// Syntax errors (with line and column), duplicate keys, non-scalar keys and documents that expand
// (through aliases) beyond a sane size: kInvalidArgument.
Result<nlohmann::json> yamlToJson(std::string_view text);

} // namespace azcm::azcmagent
