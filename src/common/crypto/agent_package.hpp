#pragma once
// Agent packages (docs/upgrade.md): the platform a package installs on, told apart by its content
// (a Debian archive, an RPM, a Windows Installer database), and the identity its signature
// carries: kind "agent", no publisher, the platform as its name and the agent's four-part
// version, so a signature binds the bytes to one platform and one version.
#include "common/crypto/package_identity.hpp"

#include <optional>
#include <string_view>

namespace azcm::crypto {

inline constexpr std::string_view kPackageKindAgent = "agent";

enum class AgentPlatform { kDeb, kRpm, kMsi };

// "deb", "rpm", "msi".
std::string_view agentPlatformName(AgentPlatform platform);
// The platform of one of those names; nullopt for any other text.
std::optional<AgentPlatform> parseAgentPlatform(std::string_view name);

// What `bytes` are, from their first bytes only:
//   deb: an ar archive ("!<arch>\n") whose first member is "debian-binary";
//   rpm: the RPM lead magic ED AB EE DB;
//   msi: a compound file (D0 CF 11 E0 A1 B1 1A E1) whose root storage has the class id of a
//        Windows Installer database ({000C1084-0000-0000-C000-000000000046}).
// nullopt for anything else, a Word document in a compound file included.
std::optional<AgentPlatform> detectAgentPlatform(std::string_view bytes);

// The identity an agent package of `platform` and `version` is signed with.
PackageIdentity agentPackageIdentity(AgentPlatform platform, std::string_view version);

} // namespace azcm::crypto
