#include "test_pki.hpp"

#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/pem.h>
#include <openssl/x509.h>

namespace azcm::test {

namespace {

template <class T> T need(azcm::Result<T> result, const char* what) {
    if (!result) {
        throw std::runtime_error(std::string(what) + ": " + result.error().message);
    }
    return std::move(result).value();
}

TestPki makePki() {
    using namespace std::chrono_literals;
    TestPki pki;
    pki.ca_key_pem = need(crypto::generateRsaPrivateKeyPem(), "ca key");
    pki.ca_cert_pem = need(crypto::createSelfSignedCaPem(pki.ca_key_pem, "Test CA", 24h), "ca");
    pki.server_key_pem = need(crypto::generateRsaPrivateKeyPem(), "server key");
    crypto::IssueRequest server;
    server.subject_common_name = "localhost";
    server.subject_public_key_der = need(crypto::publicKeyDer(pki.server_key_pem), "server spki");
    server.dns_names = {"localhost"};
    server.ip_addresses = {"127.0.0.1", "::1"};
    server.usage = crypto::CertificateUsage::kServer;
    server.lifetime = 24h;
    pki.server_cert_pem =
        need(crypto::issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, server), "server");
    pki.client_key_pem = need(crypto::generateRsaPrivateKeyPem(), "client key");
    crypto::IssueRequest client;
    client.subject_common_name = "test-client";
    client.subject_public_key_der = need(crypto::publicKeyDer(pki.client_key_pem), "client spki");
    client.usage = crypto::CertificateUsage::kClient;
    client.lifetime = 24h;
    pki.client_cert_pem =
        need(crypto::issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, client), "client");
    return pki;
}

crypto::IssueRequest localhostServer(const std::string& key_pem) {
    using namespace std::chrono_literals;
    crypto::IssueRequest server;
    server.subject_common_name = "localhost";
    server.subject_public_key_der = need(crypto::publicKeyDer(key_pem), "server spki");
    server.dns_names = {"localhost"};
    server.ip_addresses = {"127.0.0.1", "::1"};
    server.usage = crypto::CertificateUsage::kServer;
    server.lifetime = 24h;
    return server;
}

SerialTestPki makeSerialPki() {
    using namespace std::chrono_literals;
    constexpr long kSerial = 0x5A5A;
    const TestPki& pki = testPki();
    SerialTestPki out;
    const std::string leaf = need(crypto::issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem,
                                                              localhostServer(pki.server_key_pem)),
                                  "serial leaf");
    out.negative_leaf_pem = withSerial(leaf, pki.ca_key_pem, -kSerial);
    out.zero_leaf_pem = withSerial(leaf, pki.ca_key_pem, 0);
    out.positive_leaf_pem = withSerial(leaf, pki.ca_key_pem, kSerial);

    out.intermediate_key_pem = need(crypto::generateRsaPrivateKeyPem(), "intermediate key");
    crypto::IssueRequest intermediate;
    intermediate.subject_common_name = "Test Intermediate CA";
    intermediate.subject_public_key_der =
        need(crypto::publicKeyDer(out.intermediate_key_pem), "intermediate spki");
    intermediate.usage = crypto::CertificateUsage::kCa;
    intermediate.lifetime = 24h;
    const std::string intermediate_pem = need(
        crypto::issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, intermediate), "intermediate");
    out.negative_intermediate_pem = withSerial(intermediate_pem, pki.ca_key_pem, -kSerial);
    out.positive_intermediate_pem = withSerial(intermediate_pem, pki.ca_key_pem, kSerial);
    out.leaf_under_intermediate_pem =
        need(crypto::issueCertificatePem(intermediate_pem, out.intermediate_key_pem,
                                         localhostServer(pki.server_key_pem)),
             "leaf under intermediate");
    return out;
}

} // namespace

std::string
withSerial(const std::string& certificate_pem, const std::string& issuer_key_pem, long serial) {
    struct Free {
        void operator()(BIO* bio) const { BIO_free_all(bio); }
        void operator()(X509* cert) const { X509_free(cert); }
        void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
        void operator()(ASN1_INTEGER* number) const { ASN1_INTEGER_free(number); }
    };
    std::unique_ptr<BIO, Free> in(
        BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
    std::unique_ptr<X509, Free> cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    std::unique_ptr<BIO, Free> key_in(
        BIO_new_mem_buf(issuer_key_pem.data(), static_cast<int>(issuer_key_pem.size())));
    std::unique_ptr<EVP_PKEY, Free> key(
        PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr));
    std::unique_ptr<ASN1_INTEGER, Free> number(ASN1_INTEGER_new());
    // ASN1_INTEGER_set with a negative value gives a negative INTEGER, as a broken CA would.
    if (!cert || !key || !number || ASN1_INTEGER_set(number.get(), serial) != 1 ||
        X509_set_serialNumber(cert.get(), number.get()) != 1 ||
        X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
        throw std::runtime_error("cannot re-sign the certificate with serial " +
                                 std::to_string(serial));
    }
    std::unique_ptr<BIO, Free> out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_X509(out.get(), cert.get()) != 1) {
        throw std::runtime_error("cannot write the certificate");
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

const SerialTestPki& serialTestPki() {
    static const SerialTestPki pki = makeSerialPki();
    return pki;
}

const TestPki& testPki() {
    static const TestPki pki = makePki();
    return pki;
}

const std::string& otherKey() {
    static const std::string key = crypto::generateRsaPrivateKeyPem().value();
    return key;
}

} // namespace azcm::test
