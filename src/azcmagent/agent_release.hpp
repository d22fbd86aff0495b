#pragma once
// The agent versions the control plane publishes for this machine's platform (docs/upgrade.md):
// reading its list, choosing the release `azcmagent upgrade` installs, and checking a downloaded
// package before any installer sees it.
#include "common/agent_version.hpp"
#include "common/crypto/agent_package.hpp"
#include "common/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace azcm::azcmagent {

struct AgentRelease {
    AgentVersion version;
    std::string url;
    std::uint64_t size = 0;
    std::string sha256;    // lower-case hex of the package's bytes
    std::string signature; // base64 of the detached CMS signature (docs/protocol.md 3.5)
};

// The answer of GET .../packages/agent/{platform}. Every entry must be well formed (a four-part
// version, an https URL, a size above zero, 64 hex digits, a signature), and the list must be for
// `platform`: a control plane that answers anything else is refused as a whole, since an entry
// skipped in silence could hide the version that was asked for. Sorted newest first.
Result<std::vector<AgentRelease>> parseAgentReleases(const nlohmann::json& answer,
                                                     crypto::AgentPlatform platform);

// What `--version` asked for: a whole release line MAJOR.MINOR (its newest build) or one exact
// four-part version. An empty text asks for the newest release of all.
struct ReleaseRequest {
    std::optional<AgentVersion> exact;
    std::optional<std::pair<std::uint16_t, std::uint16_t>> line;

    bool any() const { return !exact && !line; }
};
// Exit 23 (invalid arguments) for anything but "", "M.m" or "M.m.b.r" with fields 0-65535.
Result<ReleaseRequest> parseReleaseRequest(std::string_view text);

// The release to install: the newest one `request` names. An older release than `installed` is a
// downgrade and only chosen when the request names a version (a line or an exact one). Errors:
// none published, none that matches, or only older ones without a version asked for.
Result<AgentRelease> chooseRelease(const std::vector<AgentRelease>& releases,
                                   const ReleaseRequest& request,
                                   const AgentVersion& installed);

// Checks downloaded `bytes` against `release`, in this order: the size and SHA-256 the list gave,
// the platform its content shows, then the signature up to `signing_root_pem` naming kind
// "agent", `platform` and exactly `release.version`. The message says which check failed.
Result<void> verifyAgentPackage(std::string_view bytes,
                                const AgentRelease& release,
                                crypto::AgentPlatform platform,
                                std::string_view signing_root_pem);

} // namespace azcm::azcmagent
