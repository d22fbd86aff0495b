#pragma once
// The members of a machine's agentUpgrade (docs/upgrade.md) that ARM, himds and the agent's
// report each check: the control plane when a caller writes them, himds when they arrive in a
// heartbeat answer or from `azcmagent upgrade`, with the same rules.
#include <cstddef>
#include <string>

namespace azcm::agentupgrade {

// ARM shows at most this many characters of lastAttemptMessage.
inline constexpr std::size_t kMaxAttemptMessageCharacters = 1024;

// Empty (no particular version), an agent version "1.2.3.4", or "1.2" for the newest build of a
// minor release.
bool isDesiredVersion(const std::string& text);
// At most 64 printable ASCII characters.
bool isCorrelationId(const std::string& text);
// "Success" or "Failed".
bool isAttemptStatus(const std::string& text);
// At most kMaxAttemptMessageCharacters characters (UTF-8, counted in characters, not bytes, so a
// message in any script gets the same room).
bool isAttemptMessage(const std::string& text);

} // namespace azcm::agentupgrade
