#pragma once
// How `azcmagent upgrade` hands a verified agent package to the system (docs/upgrade.md): the
// package manager that installed the agent (dpkg or rpm on Linux, msiexec on Windows), or, in a
// sandbox, a recorder that never touches the host's packages.
#include "common/agent_version.hpp"
#include "common/crypto/agent_package.hpp"
#include "common/error.hpp"
#include "common/paths/paths.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace azcm::azcmagent {

class PackageInstaller {
public:
    PackageInstaller() = default;
    PackageInstaller(const PackageInstaller&) = delete;
    PackageInstaller& operator=(const PackageInstaller&) = delete;
    PackageInstaller(PackageInstaller&&) = delete;
    PackageInstaller& operator=(PackageInstaller&&) = delete;
    virtual ~PackageInstaller() = default;

    // The kind of package this machine installs.
    virtual crypto::AgentPlatform platform() const = 0;
    // The agent version installed now, as the package manager knows it.
    virtual Result<AgentVersion> installedVersion() const = 0;
    // Installs the verified `package` of `version`; `downgrade` when it is older than the
    // installed one. The error carries what the package manager said.
    virtual Result<void>
    install(const std::filesystem::path& package, const AgentVersion& version, bool downgrade) = 0;
    // Ok when `version` is installed completely (dpkg: "install ok installed", not a
    // half-configured state a killed install leaves); else an error that says what the package
    // manager shows.
    virtual Result<void> whollyInstalled(const AgentVersion& version) const = 0;
    // "dpkg", "rpm", "msiexec" or "sandbox": for messages and the log.
    virtual std::string name() const = 0;
    // Whether an install replaces the running daemons (so himds then reports the new version).
    virtual bool replacesRunningAgent() const = 0;
};

// The installer of this machine: the sandbox recorder under an AZCM_ROOT; else the package
// manager that owns the installed agent (on Linux, the one of dpkg-query and rpm that knows the
// package "azcmagent"). An agent no package manager installed cannot upgrade itself: an error
// that says so.
Result<std::unique_ptr<PackageInstaller>> systemInstaller(const Paths& paths);

// The sandbox recorder on its own, for tests: it keeps the installed version and the package's
// SHA-256 in <agentDataDir>/upgrade/sandbox-installed.json. Where a package's maintainer scripts
// would run, it runs <agentDataDir>/upgrade/sandbox-install-hook VERSION when a test put one
// there (in root's own directory): its failure is the install's.
std::unique_ptr<PackageInstaller> sandboxInstaller(const Paths& paths);

} // namespace azcm::azcmagent
