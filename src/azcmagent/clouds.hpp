#pragma once
// The --cloud names and their public endpoints.
#include "common/config/cloud_config.hpp"
#include "common/error.hpp"

#include <string_view>

namespace azcm::azcmagent {

// AzureCloud, AzureUSGovernment, AzureChinaCloud (case-insensitive); else kInvalidArgument.
Result<config::CloudConfig> builtinCloud(std::string_view name);

} // namespace azcm::azcmagent
