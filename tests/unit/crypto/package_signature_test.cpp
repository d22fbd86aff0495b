#include "common/crypto/cms.hpp"
#include "common/crypto/package_identity.hpp"
#include "common/crypto/package_signature.hpp"
#include "test_pki.hpp"
#include "text_match.hpp"

#include <gtest/gtest.h>

namespace azcm::crypto {
namespace {

using azcm::test::contains;

using test::testPki;

PackageIdentity extension(std::string publisher, std::string type, std::string version) {
    return {std::string(kPackageKindExtension), std::move(publisher), std::move(type),
            std::move(version)};
}

PackageRequest ask(std::string publisher, std::string type, std::string version) {
    PackageRequest request;
    request.kind = std::string(kPackageKindExtension);
    request.publisher = std::move(publisher);
    request.name = std::move(type);
    request.requested_version = std::move(version);
    return request;
}

TEST(PackageSignature, RoundTripNamesThePackage) {
    const auto& pki = testPki();
    const auto identity = extension("Contoso.A", "Trace", "1.2.3");
    auto signature = signPackage("zip bytes", identity, pki.client_key_pem, pki.client_cert_pem);
    ASSERT_TRUE(signature) << signature.error().message;
    auto verified = verifyPackageSignature("zip bytes", signature.value(), pki.ca_cert_pem);
    ASSERT_TRUE(verified) << verified.error().message;
    EXPECT_EQ(verified.value().identity, identity);
    EXPECT_EQ(verified.value().signer_common_name, "test-client");
    // Still a plain detached signature over the bytes: other bytes do not verify.
    EXPECT_FALSE(verifyPackageSignature("zip bytez", signature.value(), pki.ca_cert_pem));
}

TEST(PackageSignature, GuestConfigurationPackagesHaveNoPublisher) {
    const auto& pki = testPki();
    const PackageIdentity identity{std::string(kPackageKindGuestConfiguration), "", "Baseline",
                                   "1.0.0"};
    auto signature = signPackage("zip", identity, pki.client_key_pem, pki.client_cert_pem);
    ASSERT_TRUE(signature) << signature.error().message;
    auto verified = verifyPackageSignature("zip", signature.value(), pki.ca_cert_pem);
    ASSERT_TRUE(verified) << verified.error().message;
    EXPECT_EQ(verified.value().identity, identity);

    auto with_publisher = identity;
    with_publisher.publisher = "Contoso";
    EXPECT_FALSE(signPackage("zip", with_publisher, pki.client_key_pem, pki.client_cert_pem));
}

TEST(PackageSignature, ASignatureOverTheBytesAloneIsRefused) {
    const auto& pki = testPki();
    auto bytes_only = signDetachedCms("zip", pki.client_key_pem, pki.client_cert_pem);
    ASSERT_TRUE(bytes_only) << bytes_only.error().message;
    auto verified = verifyPackageSignature("zip", bytes_only.value(), pki.ca_cert_pem);
    ASSERT_FALSE(verified);
    EXPECT_TRUE(contains(verified.error().message, "does not name the package"))
        << verified.error().message;
}

TEST(PackageSignature, MalformedIdentitiesAreNeitherSignedNorAccepted) {
    const auto& pki = testPki();
    for (const auto& bad :
         {PackageIdentity{"plugin", "Contoso", "Trace", "1.0"}, extension("", "Trace", "1.0"),
          extension("Contoso", "", "1.0"), extension("Contoso", "Tr ace", "1.0"),
          extension("Contoso", "Trace", "1.0-beta"), extension("Contoso", "Trace", "1.2.3.4.5")}) {
        EXPECT_FALSE(signPackage("zip", bad, pki.client_key_pem, pki.client_cert_pem))
            << bad.kind << "/" << bad.publisher << "/" << bad.name << "/" << bad.version;
        // Signed anyway with the raw attributes: the verifier refuses to read it as a package.
        auto raw = signDetachedCms("zip", pki.client_key_pem, pki.client_cert_pem,
                                   {{kPackageKindOid, bad.kind},
                                    {kPackagePublisherOid, bad.publisher},
                                    {kPackageNameOid, bad.name},
                                    {kPackageVersionOid, bad.version}});
        ASSERT_TRUE(raw) << raw.error().message;
        EXPECT_FALSE(verifyPackageSignature("zip", raw.value(), pki.ca_cert_pem));
    }
}

TEST(PackageSignature, SignerWithANegativeSerialIsRefused) {
    const auto& pki = testPki();
    const auto& serials = test::serialTestPki();
    auto signature = signPackage("zip", extension("Contoso", "Trace", "1.0.0"), pki.server_key_pem,
                                 serials.negative_leaf_pem);
    ASSERT_TRUE(signature) << signature.error().message;
    auto verified = verifyPackageSignature("zip", signature.value(), pki.ca_cert_pem);
    ASSERT_FALSE(verified);
    EXPECT_TRUE(contains(verified.error().message, "serial number")) << verified.error().message;
}

TEST(PackageVersion, ParsesOneToFourDottedNumbersAndComparesThemNumerically) {
    EXPECT_TRUE(parsePackageVersion("2"));
    EXPECT_TRUE(parsePackageVersion("2.1.10.3"));
    for (const char* bad :
         {"", ".", "2.", ".2", "2..1", "2.1.a", "-1", "1.2.3.4.5", "1234567890"}) {
        EXPECT_FALSE(parsePackageVersion(bad)) << bad;
    }
    EXPECT_GT(comparePackageVersions("2.1.10", "2.1.9"), 0);
    EXPECT_LT(comparePackageVersions("1.2", "1.2.0"), 0);
    EXPECT_EQ(comparePackageVersions("1.02", "1.2"), 0);
}

TEST(PackageVersion, TwoPartsNameALineOtherwiseExactlyOneVersion) {
    EXPECT_TRUE(versionSatisfies("2.1", "2.1", false));
    EXPECT_TRUE(versionSatisfies("2.1", "2.1.7", false));
    EXPECT_FALSE(versionSatisfies("2.1", "2.2.0", false));
    EXPECT_TRUE(versionSatisfies("2.1", "2.2.0", true)) << "a later minor version";
    EXPECT_FALSE(versionSatisfies("2.1", "2.0.9", true)) << "never an earlier one";
    EXPECT_FALSE(versionSatisfies("2.1", "3.0.0", true)) << "never another major";
    EXPECT_TRUE(versionSatisfies("2.1.4", "2.1.4", true));
    EXPECT_FALSE(versionSatisfies("2.1.4", "2.1.5", true)) << "an exact version is exact";
    EXPECT_FALSE(versionSatisfies("2", "2.1", true));
}

TEST(PackageIdentityCheck, AnotherPublisherTypeOrKindIsRefused) {
    const auto signed_for = extension("Contoso.A", "Trace", "1.0.0");
    EXPECT_TRUE(checkPackageIdentity(signed_for, ask("contoso.a", "TRACE", "1.0")))
        << "ARM's names compare without regard to case";

    auto publisher = checkPackageIdentity(signed_for, ask("Contoso.B", "Trace", "1.0"));
    ASSERT_FALSE(publisher);
    EXPECT_TRUE(contains(publisher.error().message, "publisher 'Contoso.A'"))
        << publisher.error().message;
    EXPECT_TRUE(contains(publisher.error().message, "'Contoso.B'")) << publisher.error().message;

    auto type = checkPackageIdentity(signed_for, ask("Contoso.A", "Other", "1.0"));
    ASSERT_FALSE(type);
    EXPECT_TRUE(contains(type.error().message, "type 'Trace'")) << type.error().message;

    auto kind_request = ask("", "Trace", "1.0");
    kind_request.kind = std::string(kPackageKindGuestConfiguration);
    EXPECT_FALSE(checkPackageIdentity(signed_for, kind_request));
}

TEST(PackageIdentityCheck, TheVersionMustBeTheOneAskedAndTheOneNamed) {
    const auto signed_for = extension("Contoso", "Trace", "1.0.0");
    auto other_line = checkPackageIdentity(signed_for, ask("Contoso", "Trace", "2.0"));
    ASSERT_FALSE(other_line);
    EXPECT_TRUE(contains(other_line.error().message, "version '1.0.0'"))
        << other_line.error().message;
    EXPECT_FALSE(checkPackageIdentity(signed_for, ask("Contoso", "Trace", "1.0.1")));

    auto named = ask("Contoso", "Trace", "1.0");
    named.package_version = "1.0.0";
    EXPECT_TRUE(checkPackageIdentity(signed_for, named));
    named.package_version = "1.0.2"; // the goal state says 1.0.2 but hands over 1.0.0
    EXPECT_FALSE(checkPackageIdentity(signed_for, named));
    EXPECT_FALSE(checkPackageIdentity(signed_for, ask("Contoso", "Trace", "")));
}

TEST(PackageIdentityCheck, DowngradeOnlyWhenArmAsksForTheOlderVersion) {
    const auto older = extension("Contoso", "Trace", "1.0.2");
    // 1.0.5 is installed and "1.0" still covers it: 1.0.2 is not asked for.
    auto line = ask("Contoso", "Trace", "1.0");
    line.installed_version = "1.0.5";
    auto refused = checkPackageIdentity(older, line);
    ASSERT_FALSE(refused);
    EXPECT_TRUE(contains(refused.error().message, "downgrade from 1.0.5 to 1.0.2"))
        << refused.error().message;
    // ARM names 1.0.2 itself: allowed.
    auto exact = ask("Contoso", "Trace", "1.0.2");
    exact.installed_version = "1.0.5";
    EXPECT_TRUE(checkPackageIdentity(older, exact));
    // ARM moved to an older line that excludes the installed version: allowed.
    auto old_line = ask("Contoso", "Trace", "1.0");
    old_line.installed_version = "1.3.0";
    EXPECT_TRUE(checkPackageIdentity(older, old_line));
    // ... unless later minor versions are acceptable, which 1.3.0 is.
    old_line.newer_minor_allowed = true;
    EXPECT_FALSE(checkPackageIdentity(older, old_line));
    // Upgrades and the same version need nothing.
    auto upgrade = ask("Contoso", "Trace", "1.0");
    upgrade.installed_version = "1.0.1";
    EXPECT_TRUE(checkPackageIdentity(older, upgrade));
    upgrade.installed_version = "1.0.2";
    EXPECT_TRUE(checkPackageIdentity(older, upgrade));
}

} // namespace
} // namespace azcm::crypto
