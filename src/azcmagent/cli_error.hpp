#pragma once
// How the CLI shows an error: `AZCMxxxx: <text>` (docs/cli.md), or a JSON object with --json. The
// AZCM number and the process exit status are the same value, as in the real agent.
#include "common/error.hpp"

#include <string>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

// "AZCM0067" for 67; codes outside 1..255 become AZCM0001 (they cannot be exit statuses).
std::string azcmCode(int code);
// The process exit status for an error: its code, or 1 when the code is not a valid status.
int exitStatusOf(const Error& error);
// "AZCM0067: <message>"
std::string formatErrorText(const Error& error);
// {"error": {"code": "AZCM0067", "exitCode": 67, "message": "<message>"}}
nlohmann::json formatErrorJson(const Error& error);

} // namespace azcm::azcmagent
