#pragma once
// Package signatures: a detached CMS SignedData over a package's bytes whose signed attributes
// say what the package is (package_identity.hpp), so the signature binds the bytes to one
// publisher, type or configuration name, and version. Format: docs/protocol.md section 3.4.
#include "common/crypto/package_identity.hpp"
#include "common/error.hpp"

#include <string>
#include <string_view>

namespace azcm::crypto {

// The signed attributes' object identifiers: an arc under 2.25 (ITU-T X.667, a UUID that needs
// no registration) with one UTF8String attribute per field.
inline constexpr const char* kPackageIdentityArc = "2.25.119942565458140515582464421939545127825";
inline constexpr const char* kPackageKindOid = "2.25.119942565458140515582464421939545127825.1";
inline constexpr const char* kPackagePublisherOid =
    "2.25.119942565458140515582464421939545127825.2";
inline constexpr const char* kPackageNameOid = "2.25.119942565458140515582464421939545127825.3";
inline constexpr const char* kPackageVersionOid = "2.25.119942565458140515582464421939545127825.4";

// Signs `content` as the package `identity` (every field is checked first: kind one of the two,
// version dotted, publisher empty exactly for guest configuration, names printable ASCII).
Result<std::string> signPackage(std::string_view content,
                                const PackageIdentity& identity,
                                std::string_view signer_key_pem,
                                std::string_view signer_chain_pem);

struct SignedPackage {
    std::string signer_common_name;
    PackageIdentity identity;
};

// Verifies the signature over `content` up to `trusted_root_pem` (verifyDetachedCmsAttributes)
// and reads the identity. A signature without the four attributes, or with one malformed, is
// refused: a package signed for bytes alone identifies nothing.
Result<SignedPackage> verifyPackageSignature(std::string_view content,
                                             std::string_view signature_der,
                                             std::string_view trusted_root_pem);

} // namespace azcm::crypto
