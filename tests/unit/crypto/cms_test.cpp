#include "common/crypto/cms.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "test_pki.hpp"

#include <gtest/gtest.h>

namespace azcm::crypto {
namespace {

using test::testPki;

// A second, unrelated CA: a signature chained to it must not verify against the test root.
const std::string& otherCaKey() {
    static const std::string key = generateRsaPrivateKeyPem().value();
    return key;
}

TEST(Cms, DetachedSignatureVerifiesAgainstItsRootAndNamesTheSigner) {
    const auto& pki = testPki();
    const std::string package = std::string("PK\x03\x04 zip bytes\0with nul", 24);
    auto signature = signDetachedCms(package, pki.client_key_pem, pki.client_cert_pem);
    ASSERT_TRUE(signature) << signature.error().message;
    auto signer = verifyDetachedCms(package, signature.value(), pki.ca_cert_pem);
    ASSERT_TRUE(signer) << signer.error().message;
    EXPECT_FALSE(signer.value().empty());
}

TEST(Cms, TamperedContentOrSignatureOrForeignRootFails) {
    const auto& pki = testPki();
    const std::string package = "the package";
    auto signature = signDetachedCms(package, pki.client_key_pem, pki.client_cert_pem).value();
    EXPECT_FALSE(verifyDetachedCms("the packagf", signature, pki.ca_cert_pem));
    auto flipped = signature;
    flipped[flipped.size() - 10] = static_cast<char>(flipped[flipped.size() - 10] ^ 0x01);
    EXPECT_FALSE(verifyDetachedCms(package, flipped, pki.ca_cert_pem));
    EXPECT_FALSE(verifyDetachedCms(package, "not DER at all", pki.ca_cert_pem));
    auto other_root = createSelfSignedCaPem(otherCaKey(), "Other root", std::chrono::hours(24));
    ASSERT_TRUE(other_root);
    EXPECT_FALSE(verifyDetachedCms(package, signature, other_root.value()));
}

TEST(Cms, IntermediateInTheChainIsEmbeddedSoOnlyTheRootIsNeeded) {
    const auto& pki = testPki();
    const auto intermediate_key = generateRsaPrivateKeyPem().value();
    IssueRequest ca_request;
    ca_request.subject_common_name = "Package signing intermediate";
    ca_request.subject_public_key_der = publicKeyDer(intermediate_key).value();
    ca_request.usage = CertificateUsage::kCa;
    auto intermediate = issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, ca_request);
    ASSERT_TRUE(intermediate) << intermediate.error().message;
    const auto leaf_key = generateRsaPrivateKeyPem().value();
    IssueRequest leaf_request;
    leaf_request.subject_common_name = "Publisher";
    leaf_request.subject_public_key_der = publicKeyDer(leaf_key).value();
    auto leaf = issueCertificatePem(intermediate.value(), intermediate_key, leaf_request);
    ASSERT_TRUE(leaf) << leaf.error().message;

    auto signature = signDetachedCms("bytes", leaf_key, leaf.value() + intermediate.value());
    ASSERT_TRUE(signature) << signature.error().message;
    auto signer = verifyDetachedCms("bytes", signature.value(), pki.ca_cert_pem);
    ASSERT_TRUE(signer) << signer.error().message;
    EXPECT_EQ(signer.value(), "Publisher");
}

// The signer's chain gets the certificate policy at every depth (docs/certificates.md); each
// refused certificate has a twin that differs only by its serial and verifies.
TEST(Cms, SignerWithANegativeOrZeroSerialIsRefusedAtDepthZero) {
    const auto& pki = testPki();
    const auto& serials = test::serialTestPki();
    for (const auto* leaf : {&serials.negative_leaf_pem, &serials.zero_leaf_pem}) {
        auto signature = signDetachedCms("bytes", pki.server_key_pem, *leaf);
        ASSERT_TRUE(signature) << signature.error().message;
        auto verified = verifyDetachedCms("bytes", signature.value(), pki.ca_cert_pem);
        ASSERT_FALSE(verified);
        EXPECT_NE(verified.error().message.find("serial number"), std::string::npos)
            << verified.error().message;
        EXPECT_NE(verified.error().message.find("depth 0"), std::string::npos)
            << verified.error().message;
    }
    auto twin = signDetachedCms("bytes", pki.server_key_pem, serials.positive_leaf_pem);
    ASSERT_TRUE(twin) << twin.error().message;
    auto verified = verifyDetachedCms("bytes", twin.value(), pki.ca_cert_pem);
    EXPECT_TRUE(verified) << verified.error().message;
}

TEST(Cms, IntermediateWithANegativeSerialIsRefusedAtDepthOne) {
    const auto& pki = testPki();
    const auto& serials = test::serialTestPki();
    auto signature =
        signDetachedCms("bytes", pki.server_key_pem,
                        serials.leaf_under_intermediate_pem + serials.negative_intermediate_pem);
    ASSERT_TRUE(signature) << signature.error().message;
    auto verified = verifyDetachedCms("bytes", signature.value(), pki.ca_cert_pem);
    ASSERT_FALSE(verified);
    EXPECT_NE(verified.error().message.find("depth 1"), std::string::npos)
        << verified.error().message;
    EXPECT_NE(verified.error().message.find("Test Intermediate CA"), std::string::npos)
        << verified.error().message;

    auto twin =
        signDetachedCms("bytes", pki.server_key_pem,
                        serials.leaf_under_intermediate_pem + serials.positive_intermediate_pem);
    ASSERT_TRUE(twin) << twin.error().message;
    auto good = verifyDetachedCms("bytes", twin.value(), pki.ca_cert_pem);
    EXPECT_TRUE(good) << good.error().message;
}

TEST(Cms, SignedAttributesAreCoveredByTheSignature) {
    const auto& pki = testPki();
    const std::string oid = "2.25.1.1";
    auto signature =
        signDetachedCms("bytes", pki.client_key_pem, pki.client_cert_pem, {{oid, "Contoso.A"}});
    ASSERT_TRUE(signature) << signature.error().message;
    auto verified =
        verifyDetachedCmsAttributes("bytes", signature.value(), pki.ca_cert_pem, {oid, "2.25.1.2"});
    ASSERT_TRUE(verified) << verified.error().message;
    ASSERT_EQ(verified.value().attributes.size(), 1U) << "absent attributes are left out";
    EXPECT_EQ(verified.value().attributes[0].oid, oid);
    EXPECT_EQ(verified.value().attributes[0].value, "Contoso.A");

    // The value inside the DER changed by someone without the key: the signature breaks.
    auto forged = signature.value();
    const auto at = forged.find("Contoso.A");
    ASSERT_NE(at, std::string::npos);
    forged[at + 8] = 'B';
    EXPECT_FALSE(verifyDetachedCmsAttributes("bytes", forged, pki.ca_cert_pem, {oid}));
}

TEST(Cms, EnvelopedDataOpensOnlyWithTheRecipientKey) {
    const auto& pki = testPki();
    const std::string secret = R"({"password":"s3cret"})";
    auto sealed = encryptCms(secret, pki.client_cert_pem);
    ASSERT_TRUE(sealed) << sealed.error().message;
    EXPECT_EQ(sealed.value().find("s3cret"), std::string::npos);
    auto opened = decryptCms(sealed.value(), pki.client_cert_pem, pki.client_key_pem);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened.value(), secret);
    EXPECT_FALSE(decryptCms(sealed.value(), pki.server_cert_pem, pki.server_key_pem));
}

TEST(Cms, ThumbprintIsUpperCaseSha1OfTheDer) {
    const auto& pki = testPki();
    auto thumbprint = certificateThumbprint(pki.client_cert_pem);
    ASSERT_TRUE(thumbprint);
    EXPECT_EQ(thumbprint.value().size(), 40U);
    EXPECT_EQ(thumbprint.value().find_first_not_of("0123456789ABCDEF"), std::string::npos);
    EXPECT_NE(thumbprint.value(), certificateThumbprint(pki.server_cert_pem).value());
}

} // namespace
} // namespace azcm::crypto
