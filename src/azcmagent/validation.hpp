#pragma once
// Checks of connect/disconnect input. Every value here ends up in a URL path or in
// agentconfig.json, so each is held to the character set ARM allows before anything is sent.
#include "common/error.hpp"

#include <string>
#include <string_view>

namespace azcm::azcmagent {

// ARM pattern ^[a-zA-Z0-9-_\.]{1,54}$, and not ending with '-' or '_' (the real agent's AZCM0102
// text).
Result<void> validateResourceName(std::string_view name);
// ARM resource group names: 1-90 of letters, digits, '-', '_', '.', '(' and ')', not ending in '.'.
Result<void> validateResourceGroup(std::string_view name);
// Subscription: a GUID or another name made of letters, digits, '-', '_' and '.'.
Result<void> validateSubscription(std::string_view subscription);
// Tenant: a GUID or a domain name.
Result<void> validateTenant(std::string_view tenant);
// Azure regions: spaces are removed (as agent 1.50 does) and the name is lower-cased; what is
// left must be letters and digits.
Result<std::string> normalizeLocation(std::string_view location);
bool isGuid(std::string_view text);

} // namespace azcm::azcmagent
