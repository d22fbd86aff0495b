#include "common/platform/trust_roots.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace azcm::platform {
namespace {

struct CtxFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
struct X509Free {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
struct StoreCtxFree {
    void operator()(X509_STORE_CTX* context) const { X509_STORE_CTX_free(context); }
};

// The first certificate of the host's bundle: a self-signed root.
std::unique_ptr<X509, X509Free> firstRoot(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> in(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
}

TEST(TrustRootsTest, TheHostsRootsAreAPemBundle) {
    auto pem = systemRootsPem();
    ASSERT_TRUE(pem) << pem.error().message;
    EXPECT_NE(pem.value().find("-----BEGIN CERTIFICATE-----"), std::string::npos);
    EXPECT_TRUE(firstRoot(pem.value()));
}

// A context given the host's roots verifies one of them (a root chains to itself): without
// trustSystemRoots the store is empty and the same check fails.
TEST(TrustRootsTest, AContextTrustsTheHostsRoots) {
    auto pem = systemRootsPem();
    ASSERT_TRUE(pem) << pem.error().message;
    auto root = firstRoot(pem.value());
    ASSERT_TRUE(root);

    const auto verifies = [&root](SSL_CTX* context) {
        std::unique_ptr<X509_STORE_CTX, StoreCtxFree> check(X509_STORE_CTX_new());
        X509_STORE_CTX_init(check.get(), SSL_CTX_get_cert_store(context), root.get(), nullptr);
        // Whether it is trusted, not whether it is still valid today.
        X509_STORE_CTX_set_flags(check.get(), X509_V_FLAG_NO_CHECK_TIME);
        return X509_verify_cert(check.get()) == 1;
    };
    std::unique_ptr<SSL_CTX, CtxFree> bare(SSL_CTX_new(TLS_client_method()));
    EXPECT_FALSE(verifies(bare.get()));

    std::unique_ptr<SSL_CTX, CtxFree> trusting(SSL_CTX_new(TLS_client_method()));
    auto trusted = trustSystemRoots(trusting.get());
    ASSERT_TRUE(trusted) << trusted.error().message;
    EXPECT_TRUE(verifies(trusting.get()));
}

} // namespace
} // namespace azcm::platform
