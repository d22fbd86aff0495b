#include "common/crypto/package_signature.hpp"

#include "common/agent_version.hpp"
#include "common/crypto/agent_package.hpp"
#include "common/crypto/cms.hpp"

#include <algorithm>

namespace azcm::crypto {

namespace {

constexpr std::size_t kMaxNameLength = 128;

// Names appear in directory names, logs and error messages: printable ASCII only.
bool printableName(std::string_view name) {
    return name.size() <= kMaxNameLength &&
           std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// An agent package: no publisher, a platform as its name, the agent's four-part version.
Result<void> validateAgentIdentity(const PackageIdentity& identity) {
    if (!identity.publisher.empty()) {
        return makeError(exitcode::kInvalidArgument, "an agent package has no publisher");
    }
    if (!parseAgentPlatform(identity.name)) {
        return makeError(exitcode::kInvalidArgument, "agent package platform '" + identity.name +
                                                         "' is not one of deb, rpm, msi");
    }
    if (!parseAgentVersion(identity.version)) {
        return makeError(exitcode::kInvalidArgument,
                         "agent package version '" + identity.version +
                             "' is not MAJOR.MINOR.BUILD.REVISION (each 0-65535)");
    }
    return ok();
}

Result<void> validateIdentity(const PackageIdentity& identity) {
    if (identity.kind == kPackageKindAgent) {
        return validateAgentIdentity(identity);
    }
    const bool guest_configuration = identity.kind == kPackageKindGuestConfiguration;
    if (identity.kind != kPackageKindExtension && !guest_configuration) {
        return makeError(exitcode::kInvalidArgument,
                         "package kind '" + identity.kind + "' is not '" +
                             std::string(kPackageKindExtension) + "', '" +
                             std::string(kPackageKindGuestConfiguration) + "' or '" +
                             std::string(kPackageKindAgent) + "'");
    }
    if (guest_configuration != identity.publisher.empty() || !printableName(identity.publisher)) {
        return makeError(exitcode::kInvalidArgument,
                         guest_configuration
                             ? "a guest configuration package has no publisher"
                             : "package publisher must be 1 to 128 printable ASCII characters");
    }
    if (identity.name.empty() || !printableName(identity.name)) {
        return makeError(exitcode::kInvalidArgument,
                         "package name must be 1 to 128 printable ASCII characters");
    }
    if (!parsePackageVersion(identity.version)) {
        return makeError(exitcode::kInvalidArgument,
                         "package version '" + identity.version + "' is not 1 to 4 dotted numbers");
    }
    return ok();
}

} // namespace

Result<std::string> signPackage(std::string_view content,
                                const PackageIdentity& identity,
                                std::string_view signer_key_pem,
                                std::string_view signer_chain_pem) {
    BOOST_OUTCOME_TRY(validateIdentity(identity));
    return signDetachedCms(content, signer_key_pem, signer_chain_pem,
                           {{kPackageKindOid, identity.kind},
                            {kPackagePublisherOid, identity.publisher},
                            {kPackageNameOid, identity.name},
                            {kPackageVersionOid, identity.version}});
}

Result<SignedPackage> verifyPackageSignature(std::string_view content,
                                             std::string_view signature_der,
                                             std::string_view trusted_root_pem) {
    BOOST_OUTCOME_TRY(verified,
                      verifyDetachedCmsAttributes(content, signature_der, trusted_root_pem,
                                                  {kPackageKindOid, kPackagePublisherOid,
                                                   kPackageNameOid, kPackageVersionOid}));
    if (verified.attributes.size() != 4) {
        return makeError(exitcode::kInvalidArgument,
                         "the package signature does not name the package (kind, publisher, "
                         "name and version must be signed attributes)");
    }
    SignedPackage package;
    package.signer_common_name = std::move(verified.signer_common_name);
    package.identity.kind = std::move(verified.attributes[0].value);
    package.identity.publisher = std::move(verified.attributes[1].value);
    package.identity.name = std::move(verified.attributes[2].value);
    package.identity.version = std::move(verified.attributes[3].value);
    if (auto valid = validateIdentity(package.identity); !valid) {
        return makeError(exitcode::kInvalidArgument,
                         "the package signature names no valid package: " + valid.error().message);
    }
    return package;
}

} // namespace azcm::crypto
