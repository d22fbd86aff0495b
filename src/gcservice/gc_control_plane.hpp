#pragma once
// gcservice's calls to the control plane (docs/protocol.md section 4): the assignments, package
// downloads and compliance reports, and the agent release list (3.3.1) for the support-window
// check, each with a short-lived token of the machine's identity that himds hands out over its
// socket (POST /identity/token): gcservice never holds the machine key.
// An interface, so the daemon's logic is tested against a fake.
#include "common/error.hpp"
#include "common/paths/paths.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::gcservice {

// The default constructor cannot throw: json's is noexcept, and the throws the check finds are
// inside its body, which they cannot leave.
// NOLINTNEXTLINE(bugprone-exception-escape): noexcept default constructor, see above
struct GoalStateAnswer {
    bool not_modified = false; // 304 for the ETag given
    std::string etag;
    nlohmann::json body; // {"assignments": [...]} when modified
};

// Where the machine belongs, read from agentconfig.json on every use (connect/disconnect need
// no restart).
struct ControlPlaneTarget {
    std::string guest_configuration_url; // endpoints.guestConfiguration
    std::string ca_file;                 // cloud.caCertPath, empty: system store
    std::string package_signing_root;    // cloud.packageSigningRootPath
    std::optional<std::string> proxy;    // ProxyPolicy for TargetService::kArc
    std::string identity_url{};          // endpoints.identity: the agent services, its feed
};

class ControlPlane {
public:
    ControlPlane() = default;
    ControlPlane(const ControlPlane&) = delete;
    ControlPlane& operator=(const ControlPlane&) = delete;
    ControlPlane(ControlPlane&&) = delete;
    ControlPlane& operator=(ControlPlane&&) = delete;
    virtual ~ControlPlane() = default;
    // Not connected: an error with exitcode::kConfigFileNotFound.
    virtual Result<ControlPlaneTarget> target() = 0;
    // With `wait` > 0 and an ETag, a long-poll: the control plane may hold the request until the
    // assignments change or `wait` passes (docs/protocol.md section 4).
    virtual Result<GoalStateAnswer> assignments(const std::string& etag,
                                                std::chrono::seconds wait) = 0;
    // Abandons a long-poll in flight and refuses later ones (shutdown); other calls go on.
    virtual void cancelWaits() {}
    // Downloads `url` into `destination` (at most max_bytes).
    virtual Result<void> download(const std::string& url,
                                  const std::filesystem::path& destination,
                                  std::uint64_t max_bytes) = 0;
    virtual Result<void> report(const nlohmann::json& body) = 0;
    // The agent releases published for `platform` (deb, rpm, msi), as the agent services list
    // them (docs/protocol.md 3.3.1): {"platform", "versions": [{"version", "released", ...}]}.
    virtual Result<nlohmann::json> agentReleases(const std::string& platform) = 0;
};

std::unique_ptr<ControlPlane> makeHttpsControlPlane(const Paths& paths);

} // namespace azcm::gcservice
