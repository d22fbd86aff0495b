#pragma once
// Configuration packages on the machine: downloaded into guestConfigStateDir()/downloads, checked
// (size, SHA-256, detached CMS signature chained to the cloud's package-signing root, and the
// signed name and version against the assignment) BEFORE the zip is opened, then extracted with
// the engine's secure extraction into guestConfigStateDir()/packages/<sha256>/. A package directory
// exists only complete (extracted under a temporary name, then renamed), so a crash leaves no half
// package.
#include "common/crypto/package_identity.hpp"
#include "common/error.hpp"
#include "common/paths/paths.hpp"
#include "gcservice/gc_control_plane.hpp"
#include "gcservice/gc_state.hpp"

#include <filesystem>
#include <string>

namespace azcm::gcservice {

// The report code of a refused package (docs/protocol.md section 4.2): size, hash or signature.
inline constexpr const char* kPackageRefusedCode = "PackageVerificationFailed";

// What an assignment asks its package to be: a guest configuration package of that name whose
// signed version the assignment's version asks for. `last_version` is the version the assignment
// last evaluated; an older package is a downgrade, allowed only when the assignment's version no
// longer asks for `last_version` (crypto::checkPackageIdentity).
crypto::PackageRequest packageRequestFor(const AssignmentState& assignment);

// Checks the downloaded zip at `zip` against `expected` with `trusted_root_pem`, and its signed
// identity against `request`. The error message names the check that failed ("size mismatch",
// "sha256 mismatch", "signature: ...", "the package is signed for name 'X'; the goal state ...").
Result<crypto::PackageIdentity> verifyPackageFile(const std::filesystem::path& zip,
                                                  const PackageRef& expected,
                                                  const crypto::PackageRequest& request,
                                                  const std::string& trusted_root_pem);

struct PreparedPackage {
    std::filesystem::path directory;
    crypto::PackageIdentity identity; // as signed, checked against the request
};

// The extracted directory of `package`, downloading, verifying and extracting it first when it
// is not there yet. An extracted package keeps its signed identity beside it
// (packages/<sha256>.identity.json), so reusing it is checked against `request` as well.
Result<PreparedPackage> preparePackage(ControlPlane& control_plane,
                                       const Paths& paths,
                                       const PackageRef& package,
                                       const crypto::PackageRequest& request,
                                       const std::string& trusted_root_pem);

// Removes extracted packages no assignment refers to any more.
void removeUnusedPackages(const Paths& paths, const GcState& state);

} // namespace azcm::gcservice
