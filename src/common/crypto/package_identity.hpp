#pragma once
// What a signed package is (kind, publisher, name, version) and the rule that decides whether it
// is what the goal state asks for. The identity travels in the package signature
// (package_signature.hpp); the rule is applied before a package is opened. Versions are dotted
// decimal numbers, 1 to 4 parts ("2", "2.1", "2.1.4", "2.1.4.7"). docs/extensions.md explains the
// version rule, docs/protocol.md the signature format.
#include "common/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::crypto {

inline constexpr std::string_view kPackageKindExtension = "extension";
inline constexpr std::string_view kPackageKindGuestConfiguration = "guestconfiguration";

struct PackageIdentity {
    std::string kind;      // kPackageKindExtension or kPackageKindGuestConfiguration
    std::string publisher; // the extension's publisher; empty for guest configuration
    std::string name;      // the extension's type, or the configuration's name
    std::string version;   // the exact version of these bytes, e.g. "2.1.4"

    friend bool operator==(const PackageIdentity&, const PackageIdentity&) = default;
};

// The numbers of a dotted version; nullopt unless it is 1 to 4 decimal parts of 1-9 digits.
std::optional<std::vector<std::uint32_t>> parsePackageVersion(std::string_view version);

// Numeric order of two valid versions (-1, 0, 1); "1.10" > "1.9", and a version sorts before
// its own extensions ("1.2" < "1.2.0"). An invalid version sorts before every valid one.
int comparePackageVersions(std::string_view left, std::string_view right);

// Whether `actual` is a version that `requested` asks for. A two-part request "M.m" names a
// line: every "M.m" and "M.m.x..." version, and with `newer_minor_allowed` also the later minor
// versions of major M ("M.n...", n > m). A request of 1, 3 or 4 parts names exactly that version.
bool versionSatisfies(std::string_view requested,
                      std::string_view actual,
                      bool newer_minor_allowed);

// What the goal state asks for, to be held against a package's signed identity.
struct PackageRequest {
    std::string kind;
    std::string publisher; // compared without regard to case, as ARM compares these names
    std::string name;
    // ARM's version: "M.m" or an exact version (typeHandlerVersion, an assignment's version).
    std::string requested_version;
    // autoUpgradeMinorVersion or enableAutomaticUpgrade: later minor versions are acceptable.
    bool newer_minor_allowed = false;
    // The exact version the goal state says the package is (its URL or "version"), which is the
    // version it will be installed as; empty when the goal state names none.
    std::string package_version;
    // The version installed or in use now; empty when there is none. An older package is a
    // downgrade, accepted only when `requested_version` no longer asks for the installed one.
    std::string installed_version;
};

// Ok when `identity` is what `request` asks for; else an error that names the field, what the
// signature says and what the goal state asks ("the package is signed for publisher
// 'Contoso.A'; the goal state asks for 'Contoso.B'").
Result<void> checkPackageIdentity(const PackageIdentity& identity, const PackageRequest& request);

} // namespace azcm::crypto
