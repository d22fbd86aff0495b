// Keys, CSRs, RS256 signatures and key+certificate files.
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/openssl_util.hpp"
#include "common/crypto/x509.hpp"
#include "test_pki.hpp"

#include <gtest/gtest.h>
#include <openssl/pkcs12.h>

namespace azcm::crypto {
namespace {

using azcm::test::otherKey;

using detail::BioPtr;
using detail::PkeyPtr;
using detail::X509Ptr;

// The PEM body of a single block, decoded.
std::string pemBody(const std::string& pem) {
    const std::size_t start = pem.find('\n', pem.find("-----BEGIN")) + 1;
    const std::size_t end = pem.find("-----END");
    return base64Decode(pem.substr(start, end - start)).value();
}

std::string pemBlock(const std::string& name, const std::string& der) {
    const std::string body = base64Encode(der);
    std::string pem = "-----BEGIN " + name + "-----\n";
    for (std::size_t i = 0; i < body.size(); i += 64) {
        pem += body.substr(i, 64) + "\n";
    }
    return pem + "-----END " + name + "-----\n";
}

TEST(Keys, GeneratesPkcs8RsaKey) {
    const auto& pki = test::testPki();
    EXPECT_EQ(pki.client_key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0U);
    auto key = detail::loadPrivateKey(pki.client_key_pem);
    ASSERT_TRUE(key);
    EXPECT_EQ(EVP_PKEY_is_a(key.value().get(), "RSA"), 1);
    EXPECT_EQ(EVP_PKEY_get_bits(key.value().get()), 2048);
}

TEST(Keys, RefusesWeakKeySizes) {
    auto key = generateRsaPrivateKeyPem(1024);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, exitcode::kRsaKey);
}

TEST(Keys, PublicKeyDerAndPemAgree) {
    const auto& pki = test::testPki();
    auto from_private = publicKeyDer(pki.client_key_pem);
    auto pem = publicKeyPem(pki.client_key_pem);
    ASSERT_TRUE(from_private);
    ASSERT_TRUE(pem);
    EXPECT_EQ(pem.value().rfind("-----BEGIN PUBLIC KEY-----", 0), 0U);
    auto from_public = publicKeyDer(pem.value());
    ASSERT_TRUE(from_public);
    EXPECT_EQ(from_private.value(), from_public.value());
    EXPECT_EQ(pemBody(pem.value()), from_private.value());
    EXPECT_NE(publicKeyDer(pki.server_key_pem).value(), from_private.value());
}

TEST(Keys, RejectsGarbageKey) {
    EXPECT_FALSE(publicKeyDer("not a key"));
    EXPECT_FALSE(publicKeyPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
}

TEST(Csr, RoundTripsCommonNameAndKey) {
    const auto& pki = test::testPki();
    auto csr = createCsrPem(pki.client_key_pem, "machine-01");
    ASSERT_TRUE(csr) << csr.error().message;
    EXPECT_EQ(csr.value().rfind("-----BEGIN CERTIFICATE REQUEST-----", 0), 0U);
    auto info = parseCsr(csr.value());
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info.value().common_name, "machine-01");
    EXPECT_EQ(info.value().public_key_der, publicKeyDer(pki.client_key_pem).value());
}

TEST(Csr, RejectsTamperedRequest) {
    const auto& pki = test::testPki();
    const std::string csr = createCsrPem(pki.client_key_pem, "machine-01").value();
    std::string der = pemBody(csr);
    const std::size_t at = der.find("machine-01");
    ASSERT_NE(at, std::string::npos);
    der[at + 9] = '2'; // "machine-02": the signature no longer covers the content
    const std::string tampered = pemBlock("CERTIFICATE REQUEST", der);
    ASSERT_TRUE(parseCsr(pemBlock("CERTIFICATE REQUEST", pemBody(csr)))); // re-encoding is fine
    auto info = parseCsr(tampered);
    ASSERT_FALSE(info);
    EXPECT_NE(info.error().message.find("signature"), std::string::npos) << info.error().message;
}

TEST(Csr, RejectsGarbageAndEmptyName) {
    EXPECT_FALSE(parseCsr("garbage"));
    EXPECT_FALSE(createCsrPem(test::testPki().client_key_pem, ""));
}

TEST(Signature, SignsAndVerifiesWithKeyOrCertificate) {
    const auto& pki = test::testPki();
    auto signature = signSha256(pki.client_key_pem, "payload");
    ASSERT_TRUE(signature);
    EXPECT_EQ(signature.value().size(), 256U);
    EXPECT_TRUE(
        verifySha256(publicKeyPem(pki.client_key_pem).value(), "payload", signature.value()));
    EXPECT_TRUE(verifySha256(pki.client_cert_pem, "payload", signature.value()));
    EXPECT_TRUE(verifySha256(pki.client_key_pem, "payload", signature.value()));
}

TEST(Signature, RejectsWrongDataKeyOrSignature) {
    const auto& pki = test::testPki();
    const std::string signature = signSha256(pki.client_key_pem, "payload").value();
    EXPECT_FALSE(verifySha256(pki.client_cert_pem, "payloaD", signature));
    EXPECT_FALSE(verifySha256(pki.server_cert_pem, "payload", signature));
    std::string flipped = signature;
    flipped[10] = static_cast<char>(flipped[10] ^ 1);
    EXPECT_FALSE(verifySha256(pki.client_cert_pem, "payload", flipped));
    EXPECT_FALSE(verifySha256(pki.client_cert_pem, "payload", ""));
}

TEST(Signature, IsDeterministicPkcs1V15) {
    // RS256 is PKCS#1 v1.5: the same key and data give the same signature (PSS would not).
    const auto& pki = test::testPki();
    EXPECT_EQ(signSha256(pki.client_key_pem, "x").value(),
              signSha256(pki.client_key_pem, "x").value());
}

std::string traditionalRsaPem(const std::string& pkcs8_pem) {
    PkeyPtr key = detail::loadPrivateKey(pkcs8_pem).value();
    BioPtr bio(BIO_new(BIO_s_mem()));
    EXPECT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0,
                                                   nullptr, nullptr),
              1);
    return detail::bioContents(bio.get());
}

TEST(KeyAndCertificate, LoadsPemWithLeafFirst) {
    const auto& pki = test::testPki();
    const std::string rsa_key = traditionalRsaPem(pki.client_key_pem);
    ASSERT_EQ(rsa_key.rfind("-----BEGIN RSA PRIVATE KEY-----", 0), 0U);
    // CA first in the file: the loader must still put the leaf (the key's certificate) first.
    auto loaded = loadKeyAndCertificate(pki.ca_cert_pem + rsa_key + pki.client_cert_pem);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded.value().private_key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0U);
    EXPECT_EQ(publicKeyDer(loaded.value().private_key_pem).value(),
              publicKeyDer(pki.client_key_pem).value());
    auto certs = splitPemCertificates(loaded.value().certificate_pem);
    ASSERT_TRUE(certs);
    ASSERT_EQ(certs.value().size(), 2U);
    EXPECT_EQ(parseCertificatePem(certs.value()[0]).value().der,
              parseCertificatePem(pki.client_cert_pem).value().der);
    EXPECT_EQ(parseCertificatePem(certs.value()[1]).value().der,
              parseCertificatePem(pki.ca_cert_pem).value().der);
}

TEST(KeyAndCertificate, RejectsPemWithoutMatchingCertificate) {
    const auto& pki = test::testPki();
    auto loaded = loadKeyAndCertificate(pki.client_key_pem + pki.server_cert_pem);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().message.find("matches"), std::string::npos);
    EXPECT_FALSE(loadKeyAndCertificate(pki.client_cert_pem)); // no key
    EXPECT_FALSE(loadKeyAndCertificate(pki.client_key_pem));  // no certificate
    EXPECT_FALSE(loadKeyAndCertificate(""));
    EXPECT_FALSE(loadKeyAndCertificate(std::string("\x30\x03\x02\x01\x03", 5)));
}

TEST(KeyAndCertificate, RejectsEncryptedPemKey) {
    const auto& pki = test::testPki();
    PkeyPtr key = detail::loadPrivateKey(pki.client_key_pem).value();
    BioPtr bio(BIO_new(BIO_s_mem()));
    char password[] = "secret";
    ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), password, 6,
                                            nullptr, nullptr),
              1);
    auto loaded = loadKeyAndCertificate(detail::bioContents(bio.get()) + pki.client_cert_pem);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, exitcode::kUnsupported);
}

std::string makePkcs12(const char* password) {
    const auto& pki = test::testPki();
    PkeyPtr key = detail::loadPrivateKey(pki.client_key_pem).value();
    X509Ptr cert = detail::loadCertificatePem(pki.client_cert_pem).value();
    X509Ptr ca = detail::loadCertificatePem(pki.ca_cert_pem).value();
    STACK_OF(X509)* chain = sk_X509_new_null();
    sk_X509_push(chain, ca.get());
    char name[] = "client";
    PKCS12* p12 = PKCS12_create(password, name, key.get(), cert.get(), chain, 0, 0, 0, 0, 0);
    sk_X509_free(chain);
    EXPECT_NE(p12, nullptr);
    unsigned char* der = nullptr;
    const int length = i2d_PKCS12(p12, &der);
    PKCS12_free(p12);
    std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return bytes;
}

TEST(KeyAndCertificate, LoadsPasswordlessPkcs12) {
    const auto& pki = test::testPki();
    const std::string pfx = makePkcs12(nullptr);
    ASSERT_FALSE(pfx.empty());
    auto loaded = loadKeyAndCertificate(pfx);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(publicKeyDer(loaded.value().private_key_pem).value(),
              publicKeyDer(pki.client_key_pem).value());
    auto certs = splitPemCertificates(loaded.value().certificate_pem).value();
    ASSERT_EQ(certs.size(), 2U);
    EXPECT_EQ(parseCertificatePem(certs[0]).value().subject_common_name, "test-client");
    EXPECT_EQ(parseCertificatePem(certs[1]).value().subject_common_name, "Test CA");
}

TEST(KeyAndCertificate, RejectsPasswordProtectedPkcs12Clearly) {
    auto loaded = loadKeyAndCertificate(makePkcs12("hunter2"));
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, exitcode::kUnsupported);
    EXPECT_NE(loaded.error().message.find("password"), std::string::npos);
}

TEST(KeyAndCertificate, OtherKeyIsNotTheLeaf) {
    const auto& pki = test::testPki();
    EXPECT_FALSE(loadKeyAndCertificate(otherKey() + pki.client_cert_pem + pki.ca_cert_pem));
}

} // namespace
} // namespace azcm::crypto
