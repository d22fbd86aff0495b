#pragma once
// Configuration packages on the machine (issue 8 item 4): downloaded into
// guestConfigStateDir()/downloads, checked (size, SHA-256, detached CMS signature chained to the
// cloud's package-signing root) BEFORE the zip is opened, then extracted with the engine's secure
// extraction into guestConfigStateDir()/packages/<sha256>/. A package directory exists only
// complete (extracted under a temporary name, then renamed), so a crash leaves no half package.
#include "control_plane.hpp"
#include "error.hpp"
#include "gc_state.hpp"
#include "paths/paths.hpp"

#include <filesystem>
#include <string>

namespace azcm::gc {

// The report code of a refused package (docs/protocol.md section 4.2): size, hash or signature.
inline constexpr const char* kPackageRefusedCode = "PackageVerificationFailed";

// Checks the downloaded zip at `zip` against `expected` with `trusted_root_pem`. The error message
// names the check that failed ("size mismatch", "sha256 mismatch", "signature: ...").
Result<void> verifyPackageFile(const std::filesystem::path& zip,
                               const PackageRef& expected,
                               const std::string& trusted_root_pem);

// The extracted directory of `package`, downloading, verifying and extracting it first when it
// is not there yet.
Result<std::filesystem::path> preparePackage(ControlPlane& control_plane,
                                             const Paths& paths,
                                             const PackageRef& package,
                                             const std::string& trusted_root_pem);

// Removes extracted packages no assignment refers to any more.
void removeUnusedPackages(const Paths& paths, const GcState& state);

} // namespace azcm::gc
