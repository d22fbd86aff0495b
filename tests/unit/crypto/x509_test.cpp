// Certificate issuance, parsing and RFC 5280 chain verification.
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/openssl_util.hpp"
#include "common/crypto/x509.hpp"
#include "test_pki.hpp"
#include "text_match.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

namespace azcm::crypto {
namespace {

using azcm::test::otherKey;

using azcm::test::contains;

using namespace std::chrono_literals;
using detail::BioPtr;
using detail::PkeyPtr;
using detail::X509Ptr;

X509Ptr load(const std::string& pem) {
    return detail::loadCertificatePem(pem).value();
}

// Issues with the module, from the test PKI's CA unless told otherwise.
std::string issue(CertificateUsage usage,
                  const std::string& subject_key_pem,
                  std::vector<std::string> dns = {},
                  std::vector<std::string> ips = {},
                  const std::string& ca_cert = test::testPki().ca_cert_pem,
                  const std::string& ca_key = test::testPki().ca_key_pem) {
    IssueRequest request;
    request.subject_common_name = "subject";
    request.subject_public_key_der = publicKeyDer(subject_key_pem).value();
    request.dns_names = std::move(dns);
    request.ip_addresses = std::move(ips);
    request.usage = usage;
    request.lifetime = 24h;
    auto pem = issueCertificatePem(ca_cert, ca_key, request);
    EXPECT_TRUE(pem) << pem.error().message;
    return pem ? pem.value() : std::string();
}

// A certificate made by hand (not by the module) so that the serial can be anything, otherwise
// with the extensions the module would set. `signer_cert_pem` empty: self-signed CA.
std::string handMade(long serial,
                     const std::string& subject_key_pem,
                     const std::string& signer_cert_pem,
                     const std::string& signer_key_pem,
                     bool ca,
                     const char* not_after = nullptr) {
    PkeyPtr subject_key = detail::loadPrivateKey(subject_key_pem).value();
    PkeyPtr signer_key = detail::loadPrivateKey(signer_key_pem).value();
    X509Ptr signer = signer_cert_pem.empty() ? nullptr : load(signer_cert_pem);
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    ASN1_INTEGER_set(number, serial); // negative values give a negative INTEGER
    X509_set_serialNumber(cert.get(), number);
    ASN1_INTEGER_free(number);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
    if (not_after != nullptr) {
        EXPECT_EQ(ASN1_TIME_set_string_X509(X509_getm_notAfter(cert.get()), not_after), 1);
    } else {
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    }
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(ca ? "Odd CA" : "odd-leaf"),
                               -1, -1, 0);
    X509* issuer = signer ? signer.get() : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer));
    X509_set_pubkey(cert.get(), subject_key.get());
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert.get(), nullptr, nullptr, 0);
    const std::vector<std::pair<int, const char*>> extensions = {
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
        {NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
        {NID_key_usage,
         ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment"},
    };
    for (const auto& [nid, value] : extensions) {
        X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        EXPECT_NE(extension, nullptr);
        X509_add_ext(cert.get(), extension, -1);
        X509_EXTENSION_free(extension);
    }
    EXPECT_GT(X509_sign(cert.get(), signer_key.get(), EVP_sha256()), 0);
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert.get());
    return detail::bioContents(bio.get());
}

TEST(Certificate, SelfSignedCaHasCaExtensions) {
    const auto& pki = test::testPki();
    auto info = parseCertificatePem(pki.ca_cert_pem);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info.value().subject_common_name, "Test CA");
    EXPECT_EQ(info.value().issuer_common_name, "Test CA");
    X509Ptr cert = load(pki.ca_cert_pem);
    EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
    EXPECT_EQ(X509_check_ca(cert.get()), 1);
    EXPECT_NE(X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN, 0U);
    EXPECT_NE(X509_get_key_usage(cert.get()) & KU_CRL_SIGN, 0U);
    EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
    EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_OK);
    // A self-signed CA is its own trust anchor.
    EXPECT_TRUE(verifyCertificateChain(pki.ca_cert_pem, pki.ca_cert_pem));
}

TEST(Certificate, ServerCertificateHasProfileAndSans) {
    const auto& pki = test::testPki();
    X509Ptr cert = load(pki.server_cert_pem);
    EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
    EXPECT_EQ(X509_check_ca(cert.get()), 0);
    EXPECT_EQ(X509_get_key_usage(cert.get()), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
    EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
    EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
    EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
    int critical = 0;
    auto* constraints = static_cast<BASIC_CONSTRAINTS*>(
        X509_get_ext_d2i(cert.get(), NID_basic_constraints, &critical, nullptr));
    ASSERT_NE(constraints, nullptr);
    EXPECT_EQ(critical, 1);
    EXPECT_EQ(constraints->ca, 0);
    BASIC_CONSTRAINTS_free(constraints);
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_sha256WithRSAEncryption);
    EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
    // The returned PEM holds just the issued certificate.
    EXPECT_EQ(splitPemCertificates(pki.server_cert_pem).value().size(), 1U);
}

TEST(Certificate, ClientCertificateIsForClientAuth) {
    X509Ptr cert = load(test::testPki().client_cert_pem);
    EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
    EXPECT_EQ(X509_check_ca(cert.get()), 0);
}

TEST(Certificate, SerialIsRandomPositiveAndAtMost128Bits) {
    const auto& pki = test::testPki();
    std::set<std::string> serials;
    for (const std::string* pem : {&pki.ca_cert_pem, &pki.server_cert_pem, &pki.client_cert_pem}) {
        const std::string serial = parseCertificatePem(*pem).value().serial_hex;
        EXPECT_FALSE(serial.empty());
        EXPECT_NE(serial[0], '-');
        EXPECT_LE(serial.size(), 32U);
        EXPECT_EQ(serial.find_first_not_of("0123456789ABCDEF"), std::string::npos) << serial;
        serials.insert(serial);
    }
    EXPECT_EQ(serials.size(), 3U);
    X509Ptr cert = load(pki.server_cert_pem);
    BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
    EXPECT_LE(BN_num_bits(number), 127);
    EXPECT_FALSE(BN_is_zero(number));
    BN_free(number);
}

TEST(Certificate, InfoCarriesThumbprintsAndValidity) {
    const auto& pki = test::testPki();
    auto info = parseCertificatePem(pki.server_cert_pem);
    ASSERT_TRUE(info);
    const auto& value = info.value();
    EXPECT_EQ(value.subject_common_name, "localhost");
    EXPECT_EQ(value.issuer_common_name, "Test CA");
    std::string expected = hexEncode(sha1(value.der));
    for (char& ch : expected) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    EXPECT_EQ(value.thumbprint_sha1_hex, expected);
    EXPECT_EQ(value.thumbprint_sha1_b64url, base64UrlEncode(sha1(value.der)));
    EXPECT_EQ(value.thumbprint_sha256_b64url, base64UrlEncode(sha256(value.der)));
    EXPECT_EQ(value.public_key_der, publicKeyDer(pki.server_key_pem).value());
    EXPECT_EQ(value.not_after - value.not_before, std::chrono::seconds(24h));
    const auto now = std::chrono::system_clock::now();
    EXPECT_LT(value.not_before, now);
    EXPECT_GT(value.not_before, now - 10min);
}

TEST(Certificate, FarFutureExpiryIsClampedNotOverflowed) {
    // 99991231235959Z is RFC 5280's "no well-defined expiration"; system_clock ends in 2262.
    const auto& pki = test::testPki();
    const std::string cert =
        handMade(11, otherKey(), pki.ca_cert_pem, pki.ca_key_pem, false, "99991231235959Z");
    auto info = parseCertificatePem(cert);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_GT(info.value().not_after, std::chrono::system_clock::now() + 24h * 365 * 200);
    EXPECT_GT(info.value().not_after, info.value().not_before);
    EXPECT_TRUE(verifyCertificateChain(cert, pki.ca_cert_pem));
}

TEST(Certificate, DerAndPemParsingAgree) {
    const auto& pki = test::testPki();
    const auto from_pem = parseCertificatePem(pki.client_cert_pem).value();
    auto from_der = parseCertificateDer(from_pem.der);
    ASSERT_TRUE(from_der);
    EXPECT_EQ(from_der.value().thumbprint_sha1_hex, from_pem.thumbprint_sha1_hex);
    EXPECT_EQ(derToPem(from_pem.der), pki.client_cert_pem); // same 64-column layout as OpenSSL
    EXPECT_FALSE(parseCertificateDer(from_pem.der + "x"));
    EXPECT_FALSE(parseCertificateDer(from_pem.der.substr(0, 100)));
    EXPECT_FALSE(parseCertificatePem("no certificate"));
}

TEST(Certificate, SplitsBundleInOrder) {
    const auto& pki = test::testPki();
    auto parts = splitPemCertificates(pki.server_cert_pem + "\n" + pki.ca_cert_pem);
    ASSERT_TRUE(parts);
    ASSERT_EQ(parts.value().size(), 2U);
    EXPECT_EQ(parts.value()[0], pki.server_cert_pem);
    EXPECT_EQ(parts.value()[1], pki.ca_cert_pem);
    EXPECT_FALSE(splitPemCertificates(""));
    EXPECT_FALSE(splitPemCertificates(
        pki.server_cert_pem + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
}

TEST(Certificate, IssueRejectsBadInput) {
    const auto& pki = test::testPki();
    IssueRequest request;
    request.subject_common_name = "x";
    request.subject_public_key_der = "garbage";
    EXPECT_FALSE(issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, request));
    request.subject_public_key_der = publicKeyDer(pki.client_key_pem).value();
    EXPECT_FALSE(issueCertificatePem(pki.ca_cert_pem, otherKey(), request)); // key/cert mismatch
    request.usage = CertificateUsage::kServer;
    request.dns_names = {"bad,name"};
    EXPECT_FALSE(issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, request));
    request.dns_names = {};
    request.ip_addresses = {"300.1.1.1"};
    EXPECT_FALSE(issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, request));
    request.ip_addresses = {};
    request.lifetime = 0s;
    EXPECT_FALSE(issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, request));
}

TEST(Verify, IssuedCertificateVerifiesAgainstItsCa) {
    const auto& pki = test::testPki();
    auto result = verifyCertificateChain(pki.server_cert_pem, pki.ca_cert_pem);
    EXPECT_TRUE(result) << result.error().message;
    EXPECT_TRUE(verifyCertificateChain(pki.client_cert_pem, pki.ca_cert_pem));
    // Trust bundles with several anchors.
    const std::string other_ca = createSelfSignedCaPem(otherKey(), "Other CA", 24h).value();
    EXPECT_TRUE(verifyCertificateChain(pki.server_cert_pem, other_ca + pki.ca_cert_pem));
}

TEST(Verify, WrongCaIsUntrusted) {
    const auto& pki = test::testPki();
    const std::string other_ca = createSelfSignedCaPem(otherKey(), "Other CA", 24h).value();
    auto result = verifyCertificateChain(pki.server_cert_pem, other_ca);
    ASSERT_FALSE(result);
    EXPECT_TRUE(contains(result.error().message, "untrusted")) << result.error().message;
    // A CA with the same name but another key must not do either.
    const std::string impostor = createSelfSignedCaPem(otherKey(), "Test CA", 24h).value();
    EXPECT_FALSE(verifyCertificateChain(pki.server_cert_pem, impostor));
    EXPECT_FALSE(verifyCertificateChain(pki.server_cert_pem, ""));
}

TEST(Verify, ExpiredAndNotYetValidAreRejected) {
    const auto& pki = test::testPki();
    const auto now = std::chrono::system_clock::now();
    auto expired = verifyCertificateChain(pki.server_cert_pem, pki.ca_cert_pem, now + 48h);
    ASSERT_FALSE(expired);
    EXPECT_TRUE(contains(expired.error().message, "expired")) << expired.error().message;
    auto early = verifyCertificateChain(pki.server_cert_pem, pki.ca_cert_pem, now - 1h);
    ASSERT_FALSE(early);
    EXPECT_TRUE(contains(early.error().message, "not yet valid")) << early.error().message;
    EXPECT_TRUE(verifyCertificateChain(pki.server_cert_pem, pki.ca_cert_pem, now + 23h));
}

TEST(Verify, HostMustMatchDnsOrIpSan) {
    const auto& pki = test::testPki();
    const auto now = std::chrono::system_clock::now();
    for (const char* host : {"localhost", "127.0.0.1", "::1", "[::1]"}) {
        auto result = verifyCertificateChain(pki.server_cert_pem, pki.ca_cert_pem, now, host);
        EXPECT_TRUE(result) << host << ": " << result.error().message;
    }
    for (const char* host : {"example.com", "10.0.0.1", "::2", "localhost.evil"}) {
        auto result = verifyCertificateChain(pki.server_cert_pem, pki.ca_cert_pem, now, host);
        ASSERT_FALSE(result) << host;
        EXPECT_TRUE(contains(result.error().message, "host mismatch")) << result.error().message;
    }
}

TEST(Verify, IntermediateFromChainIsUsed) {
    const auto& pki = test::testPki();
    const std::string intermediate_key = generateRsaPrivateKeyPem().value();
    const std::string intermediate = issue(CertificateUsage::kCa, intermediate_key);
    const std::string leaf = issue(CertificateUsage::kServer, pki.server_key_pem, {"leaf.example"},
                                   {}, intermediate, intermediate_key);
    const auto now = std::chrono::system_clock::now();
    auto result = verifyCertificateChain(leaf + intermediate, pki.ca_cert_pem, now, "leaf.example");
    EXPECT_TRUE(result) << result.error().message;
    auto missing = verifyCertificateChain(leaf, pki.ca_cert_pem);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(contains(missing.error().message, "untrusted")) << missing.error().message;
}

TEST(Verify, AnyTrustedCertificateIsAnAnchor) {
    // Trust anchors need not be self-signed (RFC 5280 6.1.1 (d)): an intermediate the caller
    // trusts ends the path, without its root.
    const auto& pki = test::testPki();
    const std::string intermediate_key = generateRsaPrivateKeyPem().value();
    const std::string intermediate = issue(CertificateUsage::kCa, intermediate_key);
    const std::string leaf =
        issue(CertificateUsage::kClient, otherKey(), {}, {}, intermediate, intermediate_key);
    auto result = verifyCertificateChain(leaf, intermediate);
    EXPECT_TRUE(result) << result.error().message;
    EXPECT_FALSE(verifyCertificateChain(pki.server_cert_pem, intermediate));
}

TEST(Verify, LeafMayNotActAsCa) {
    // A leaf (CA:FALSE) cannot issue: a certificate signed with a leaf's key must be refused.
    const auto& pki = test::testPki();
    const std::string by_leaf = issue(CertificateUsage::kClient, otherKey(), {}, {},
                                      pki.client_cert_pem, pki.client_key_pem);
    EXPECT_FALSE(verifyCertificateChain(by_leaf + pki.client_cert_pem, pki.ca_cert_pem));
}

TEST(Verify, HandMadeCertificateWithPositiveSerialVerifies) {
    // Guards the serial tests below: the hand-made certificates differ only by serial.
    const auto& pki = test::testPki();
    const std::string cert = handMade(5, otherKey(), pki.ca_cert_pem, pki.ca_key_pem, false);
    auto result = verifyCertificateChain(cert, pki.ca_cert_pem);
    EXPECT_TRUE(result) << result.error().message;
    EXPECT_EQ(parseCertificatePem(cert).value().serial_hex, "05");
}

TEST(Verify, NegativeSerialIsRejected) {
    const auto& pki = test::testPki();
    const std::string cert = handMade(-5, otherKey(), pki.ca_cert_pem, pki.ca_key_pem, false);
    EXPECT_EQ(parseCertificatePem(cert).value().serial_hex, "-05");
    auto result = verifyCertificateChain(cert, pki.ca_cert_pem);
    ASSERT_FALSE(result);
    EXPECT_TRUE(contains(result.error().message, "serial")) << result.error().message;
}

TEST(Verify, ZeroSerialIsRejected) {
    const auto& pki = test::testPki();
    const std::string cert = handMade(0, otherKey(), pki.ca_cert_pem, pki.ca_key_pem, false);
    EXPECT_EQ(parseCertificatePem(cert).value().serial_hex, "0");
    auto result = verifyCertificateChain(cert, pki.ca_cert_pem);
    ASSERT_FALSE(result);
    EXPECT_TRUE(contains(result.error().message, "serial")) << result.error().message;
}

TEST(Verify, NegativeSerialIntermediateIsRejected) {
    const auto& pki = test::testPki();
    const std::string intermediate_key = generateRsaPrivateKeyPem().value();
    const std::string intermediate =
        handMade(-7, intermediate_key, pki.ca_cert_pem, pki.ca_key_pem, true);
    const std::string leaf =
        issue(CertificateUsage::kClient, otherKey(), {}, {}, intermediate, intermediate_key);
    auto result = verifyCertificateChain(leaf + intermediate, pki.ca_cert_pem);
    ASSERT_FALSE(result);
    EXPECT_TRUE(contains(result.error().message, "serial")) << result.error().message;
}

TEST(Verify, NegativeSerialTrustAnchorIsRejected) {
    const std::string& anchor_key = otherKey();
    const std::string anchor = handMade(-9, anchor_key, "", anchor_key, true);
    const std::string leaf = issue(CertificateUsage::kClient, test::testPki().client_key_pem, {},
                                   {}, anchor, anchor_key);
    auto result = verifyCertificateChain(leaf, anchor);
    ASSERT_FALSE(result);
    EXPECT_TRUE(contains(result.error().message, "serial")) << result.error().message;
    // The same anchor with a positive serial is accepted, so the serial is what is refused.
    const std::string good_anchor = handMade(9, anchor_key, "", anchor_key, true);
    const std::string good_leaf = issue(CertificateUsage::kClient, test::testPki().client_key_pem,
                                        {}, {}, good_anchor, anchor_key);
    auto good = verifyCertificateChain(good_leaf, good_anchor);
    EXPECT_TRUE(good) << good.error().message;
}

} // namespace
} // namespace azcm::crypto
