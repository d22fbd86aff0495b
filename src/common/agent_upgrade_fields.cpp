#include "common/agent_upgrade_fields.hpp"

#include "common/agent_version.hpp"

#include <algorithm>

namespace azcm::agentupgrade {

namespace {

constexpr std::size_t kMaxCorrelationIdLength = 64;

} // namespace

bool isDesiredVersion(const std::string& text) {
    // "MAJOR.MINOR" completed with ".0.0" has four fields exactly when it had two.
    return text.empty() || parseAgentVersion(text) || parseAgentVersion(text + ".0.0");
}

bool isCorrelationId(const std::string& text) {
    return text.size() <= kMaxCorrelationIdLength &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool isAttemptStatus(const std::string& text) {
    return text == "Success" || text == "Failed";
}

bool isAttemptMessage(const std::string& text) {
    const auto characters = std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xc0) != 0x80; // not a UTF-8 continuation byte
    });
    return static_cast<std::size_t>(characters) <= kMaxAttemptMessageCharacters;
}

} // namespace azcm::agentupgrade
