#pragma once
// The agent's version, MAJOR.MINOR.BUILD.REVISION ("1.0.12345.0"): what every binary, the
// packages, `azcmagent version`, `show`, the heartbeat and ARM's agentVersion report. Each field
// is at most 65535, as Windows Installer requires of a product version; a newer release differs
// in the first three fields, the ones an installer compares. The build chooses it
// (cmake -DAZCM_VERSION=..., docs/install.md); only agent_version.cpp is compiled with it, so a
// build of another version recompiles one file.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace azcm {

struct AgentVersion {
    std::uint16_t major = 0;
    std::uint16_t minor = 0;
    std::uint16_t build = 0;
    std::uint16_t revision = 0;

    // clang-tidy 14 takes the 0 the defaulted <=> compares with for a null pointer.
    // NOLINTNEXTLINE(modernize-use-nullptr): a false positive, see above
    auto operator<=>(const AgentVersion&) const = default;
    std::string text() const;
};

// Four decimal fields separated by dots, each 0-65535 without sign, spaces or leading zeros;
// nullopt for anything else.
std::optional<AgentVersion> parseAgentVersion(std::string_view text);

// The agent's version, as text: the one line of the installed package's VERSION file
// (Paths::versionFile, read once) when it holds a valid version, else this build's. The packages
// write the file from the same AZCM_VERSION, so the two differ only for a package repacked under
// another version, as tests make an "old" and a "new" release of one build.
const std::string& agentVersion();

// This build's version, whatever the installed package says.
const std::string& builtAgentVersion();

} // namespace azcm
