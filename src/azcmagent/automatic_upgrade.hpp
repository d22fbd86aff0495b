#pragma once
// `azcmagent upgrade --automatic`, what the system's timer runs as root (docs/upgrade.md,
// "Automatic upgrades"): it carries out ARM's agentUpgrade request (enableAutomaticUpgrade and
// desiredVersion, which himds learns from its heartbeats) when the local key
// agentupgrade.automatic.enabled allows it, not before a random delay of up to
// agentupgrade.automatic.maxdelayminutes after the request was first seen, and never while an
// extension or guest configuration operation runs. Each request is attempted once: a failed one
// waits for ARM to ask again (another desiredVersion or correlationId).
#include "azcmagent/console.hpp"
#include "azcmagent/environment.hpp"
#include "azcmagent/package_installer.hpp"
#include "common/error.hpp"

#include <functional>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

// A uniformly random fraction in [0, 1): the share of the maximum delay this machine waits.
using RandomFraction = std::function<double()>;

// {"action": "none"|"waiting", "reason", ...} ("waiting" with "notBefore") when nothing is
// installed, the answer of runUpgradeWith with "action": "upgraded" after an upgrade. Errors:
// what stops the decision itself (not root, himds unreachable) and a failed upgrade, whose
// outcome himds has then reported to ARM.
Result<nlohmann::json> runAutomaticUpgrade(const Environment& env,
                                           const Console& console,
                                           PackageInstaller& installer,
                                           const RandomFraction& random);

} // namespace azcm::azcmagent
