#include "test_pki.hpp"

#include "crypto/keys.hpp"
#include "crypto/x509.hpp"

#include <stdexcept>

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

} // namespace

const TestPki& testPki() {
    static const TestPki pki = makePki();
    return pki;
}

} // namespace azcm::test
