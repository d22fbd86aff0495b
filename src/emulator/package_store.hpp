#pragma once
// Signed packages the control plane hands to agents: extension handler packages, guest
// configuration packages and the agent's own packages. One generic store keyed by (kind,
// publisher, type, version):
//   kind "extension":          publisher and type of the extension, version "1.2.3"
//   kind "guestconfiguration": publisher "" and type = the configuration's name
//   kind "agent":              publisher "", type = the platform (deb, rpm, msi), version
//                              MAJOR.MINOR.BUILD.REVISION (docs/upgrade.md)
// Each package is a file in DIR/packages/ (named by its SHA-256, so no caller text reaches a
// path) plus a row in the emulator database, so a publish by `arc-emulator extension publish` in
// another process is seen by the serving process on its next read. Every package carries a
// detached CMS signature (DER) by the emulator's publisher certificate, which chains to the
// package-signing root whose absolute path cloud.json gives as `packageSigningRootPath`; its
// signed attributes name the key (crypto/package_signature.hpp, docs/protocol.md 3.4).
#include "common/error.hpp"
#include "emulator/data_dir.hpp"
#include "emulator/emulator_clock.hpp"
#include "emulator/store.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

inline constexpr std::string_view kPackageKindExtension = "extension";
inline constexpr std::string_view kPackageKindGuestConfiguration = "guestconfiguration";
inline constexpr std::string_view kPackageKindAgent = "agent";
inline constexpr std::uint64_t kMaxPackageBytes = 100ull * 1024 * 1024;

// The key material packages are signed with (loadOrCreatePackageSigner).
struct PackageSigner {
    std::string root_cert_pem;            // the trust anchor agents are given (cloud.json)
    std::string publisher_key_pem;        // 0600 in the data directory
    std::string publisher_cert_pem;       // issued by the root
    std::filesystem::path root_cert_path; // absolute
};

// Loads DIR/package-signing-root.{key,crt} and DIR/package-publisher.{key,crt}, creating what is
// missing (keys 0600). Safe when the server and `extension publish` start at once (a lock file).
Result<PackageSigner> loadOrCreatePackageSigner(const DataDir& dir, SystemTime now);

struct PublishedPackage {
    std::string kind;
    std::string publisher; // "" for guest configuration packages
    std::string type;
    std::string version;
    std::uint64_t size = 0;
    std::string sha256;        // lower-case hex of the zip bytes
    std::string signature_der; // detached CMS SignedData over the zip bytes, naming the key
    std::int64_t published_at = 0;
    // When this version was released, for an agent package the date its support window starts
    // (docs/guest-configuration.md, agent_support); 0 when stored: the publish time.
    std::int64_t released_at = 0;
};

// Input checks shared by the command and the store: kind is one of the three above; version is
// digits and dots ("1", "1.2", "1.2.3", "1.2.3.4"); publisher and type are [A-Za-z0-9._-], start
// with a letter or digit, at most 128 characters (publisher empty for guest configuration). An
// agent package has no publisher, a platform as its type and a four-part agent version.
Result<void> validatePackageKey(std::string_view kind,
                                std::string_view publisher,
                                std::string_view type,
                                std::string_view version);

// Signs and stores `zip` (at most kMaxPackageBytes), replacing an earlier package of the same key.
// The row is written in one transaction, so a reader sees the old package or the new one. An
// agent package's bytes must be a package of its platform (crypto/agent_package.hpp). `released`:
// the release time to record, `now` when not given.
Result<PublishedPackage> publishPackage(Store& store,
                                        const DataDir& dir,
                                        const PackageSigner& signer,
                                        std::string_view kind,
                                        std::string_view publisher,
                                        std::string_view type,
                                        std::string_view version,
                                        std::string_view zip,
                                        SystemTime now,
                                        std::optional<SystemTime> released = std::nullopt);

// The package for a requested version (publisher and type match case-insensitively):
// the exact version when published; for "M.m" (two components) otherwise the highest published
// "M.m.x..." (compared numerically). nullopt when none.
Result<std::optional<PublishedPackage>> findPackage(Store& store,
                                                    std::string_view kind,
                                                    std::string_view publisher,
                                                    std::string_view type,
                                                    std::string_view requested_version);

// The zip bytes as stored, deliberately NOT checked against the recorded size and SHA-256: the
// agent is the one that must verify, and tests simulate a package corrupted in transit by editing
// the stored file (packageFile).
Result<std::string> readPackageBytes(const DataDir& dir, const PublishedPackage& package);
// Where the bytes live: DIR/packages/<sha256>.zip, or .deb, .rpm, .msi for an agent package.
std::filesystem::path packageFile(const DataDir& dir, const PublishedPackage& package);

// Path below the emulator's base URL the agent downloads from (machine-authenticated):
//   /his/machines/packages/extension/{publisher}/{type}/{version}
//   /his/machines/packages/guestconfiguration/{type}/{version}
//   /his/machines/packages/agent/{platform}/{version}
std::string packageDownloadPath(const PublishedPackage& package);

// The media type a package is served as: application/zip, or the agent package's own.
std::string packageContentType(const PublishedPackage& package);

// Every agent package of `platform`, newest first.
Result<std::vector<PublishedPackage>> listAgentPackages(Store& store, std::string_view platform);

// {"url", "size", "sha256", "signature"} (signature base64 DER), as the goal state carries it.
nlohmann::json packageJson(const PublishedPackage& package, const std::string& base_url);

// Numeric comparison of dotted versions ("1.10" > "1.9"; "1.2" < "1.2.0").
int compareVersions(std::string_view left, std::string_view right);

} // namespace azcm::emulator
