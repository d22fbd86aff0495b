#include "common/agent_version.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/paths/paths.hpp"

#include <array>
#include <charconv>

#ifndef AZCM_VERSION
#error "AZCM_VERSION is set by src/common/CMakeLists.txt from the CMake variable of that name"
#endif

namespace azcm {

std::string AgentVersion::text() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build) + "." +
           std::to_string(revision);
}

std::optional<AgentVersion> parseAgentVersion(std::string_view text) {
    std::array<std::uint16_t, 4> fields{};
    std::size_t at = 0;
    for (std::size_t index = 0; index < fields.size(); ++index) {
        if (index > 0) {
            if (at >= text.size() || text[at] != '.') {
                return std::nullopt;
            }
            ++at;
        }
        const std::size_t start = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            ++at;
        }
        const std::size_t digits = at - start;
        if (digits == 0 || digits > 5 || (digits > 1 && text[start] == '0')) {
            return std::nullopt;
        }
        unsigned value = 0;
        std::from_chars(text.data() + start, text.data() + at, value);
        if (value > 65535) {
            return std::nullopt;
        }
        fields[index] = static_cast<std::uint16_t>(value);
    }
    if (at != text.size()) {
        return std::nullopt;
    }
    return AgentVersion{fields[0], fields[1], fields[2], fields[3]};
}

const std::string& builtAgentVersion() {
    static const std::string kVersion(AZCM_VERSION);
    return kVersion;
}

const std::string& agentVersion() {
    static const std::string kVersion = [] {
        auto text = fs::readFile(Paths::fromEnvironment().versionFile(), 64);
        if (!text) {
            return builtAgentVersion();
        }
        std::string line = text.value();
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
        return parseAgentVersion(line) ? line : builtAgentVersion();
    }();
    return kVersion;
}

} // namespace azcm
