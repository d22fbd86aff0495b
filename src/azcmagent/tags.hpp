#pragma once
// The --tags syntax of `azcmagent connect`: `Name=Value,Name2='Value with space'`.
// Values (and names) may be quoted with ' or "; a backslash escapes the next character anywhere.
#include "common/error.hpp"

#include <map>
#include <string>
#include <string_view>

namespace azcm::azcmagent {

// Malformed input gives exitcode::kInvalidArgument with the reason. An empty string is no tags.
Result<std::map<std::string, std::string>> parseTags(std::string_view text);

} // namespace azcm::azcmagent
