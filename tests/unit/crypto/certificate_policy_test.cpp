#include "common/crypto/certificate_policy.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "test_pki.hpp"

#include <memory>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

namespace azcm::crypto {
namespace {

using test::serialTestPki;
using test::testPki;

struct Free {
    void operator()(X509* cert) const { X509_free(cert); }
    void operator()(X509_STORE* store) const { X509_STORE_free(store); }
    void operator()(X509_STORE_CTX* context) const { X509_STORE_CTX_free(context); }
    void operator()(STACK_OF(X509) * stack) const { sk_X509_pop_free(stack, X509_free); }
};
using CertPtr = std::unique_ptr<X509, Free>;

CertPtr loadCertificate(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free_all);
    return CertPtr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

struct Outcome {
    bool verified = false;
    int error = X509_V_OK;
    std::string refusal;
};

// OpenSSL's path validation of `leaf` (+ `intermediate`) up to `anchor`, with or without the
// policy on the store.
Outcome verify(const std::string& leaf_pem,
               const std::string& intermediate_pem,
               const std::string& anchor_pem,
               bool with_policy) {
    std::unique_ptr<X509_STORE, Free> store(X509_STORE_new());
    auto anchor = loadCertificate(anchor_pem);
    X509_STORE_add_cert(store.get(), anchor.get());
    if (with_policy) {
        installCertificatePolicy(store.get());
    }
    std::unique_ptr<STACK_OF(X509), Free> untrusted(sk_X509_new_null());
    if (!intermediate_pem.empty()) {
        sk_X509_push(untrusted.get(), loadCertificate(intermediate_pem).release());
    }
    auto leaf = loadCertificate(leaf_pem);
    std::unique_ptr<X509_STORE_CTX, Free> context(X509_STORE_CTX_new());
    X509_STORE_CTX_init(context.get(), store.get(), leaf.get(), untrusted.get());
    Outcome outcome;
    outcome.verified = X509_verify_cert(context.get()) == 1;
    outcome.error = X509_STORE_CTX_get_error(context.get());
    outcome.refusal = certificatePolicyRefusal(context.get());
    return outcome;
}

TEST(CertificatePolicy, OnlyPositiveSerialsPass) {
    const auto& serials = serialTestPki();
    EXPECT_EQ(certificatePolicyViolation(loadCertificate(serials.positive_leaf_pem).get()), "");
    const auto negative =
        certificatePolicyViolation(loadCertificate(serials.negative_leaf_pem).get());
    EXPECT_NE(negative.find("-5A5A"), std::string::npos) << negative;
    EXPECT_NE(negative.find("not positive"), std::string::npos) << negative;
    EXPECT_NE(certificatePolicyViolation(loadCertificate(serials.zero_leaf_pem).get()), "");
}

TEST(CertificatePolicy, OpenSslAloneAcceptsNegativeSerialsTheCallbackRefusesThem) {
    const auto& pki = testPki();
    const auto& serials = serialTestPki();
    // Why the callback exists: OpenSSL's own validation takes these chains.
    EXPECT_TRUE(verify(serials.negative_leaf_pem, "", pki.ca_cert_pem, false).verified);
    EXPECT_TRUE(verify(serials.leaf_under_intermediate_pem, serials.negative_intermediate_pem,
                       pki.ca_cert_pem, false)
                    .verified);

    const auto leaf = verify(serials.negative_leaf_pem, "", pki.ca_cert_pem, true);
    EXPECT_FALSE(leaf.verified);
    EXPECT_EQ(leaf.error, X509_V_ERR_APPLICATION_VERIFICATION);
    EXPECT_NE(leaf.refusal.find("CN=localhost at depth 0"), std::string::npos) << leaf.refusal;

    const auto zero = verify(serials.zero_leaf_pem, "", pki.ca_cert_pem, true);
    EXPECT_FALSE(zero.verified);
    EXPECT_NE(zero.refusal.find("depth 0"), std::string::npos) << zero.refusal;

    const auto intermediate = verify(serials.leaf_under_intermediate_pem,
                                     serials.negative_intermediate_pem, pki.ca_cert_pem, true);
    EXPECT_FALSE(intermediate.verified);
    EXPECT_NE(intermediate.refusal.find("CN=Test Intermediate CA at depth 1"), std::string::npos)
        << intermediate.refusal;

    // The twins differ only by their serials and pass.
    EXPECT_TRUE(verify(serials.positive_leaf_pem, "", pki.ca_cert_pem, true).verified);
    const auto twin = verify(serials.leaf_under_intermediate_pem, serials.positive_intermediate_pem,
                             pki.ca_cert_pem, true);
    EXPECT_TRUE(twin.verified) << twin.refusal;
    EXPECT_EQ(twin.refusal, "");
}

TEST(CertificatePolicy, TheTrustAnchorIsCheckedToo) {
    const auto& pki = testPki();
    const std::string anchor = test::withSerial(pki.ca_cert_pem, pki.ca_key_pem, -3);
    const auto outcome = verify(testPki().server_cert_pem, "", anchor, true);
    EXPECT_FALSE(outcome.verified);
    EXPECT_NE(outcome.refusal.find("CN=Test CA at depth 1"), std::string::npos) << outcome.refusal;
}

} // namespace
} // namespace azcm::crypto
