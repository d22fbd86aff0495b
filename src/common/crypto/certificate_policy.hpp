#pragma once
// The checks every certificate chain we verify gets on top of OpenSSL's path validation, in one
// verification callback: TLS to Entra, ARM and the identity service (HttpsClient), the TLS probe
// of `azcmagent check`, package signatures (CMS) and the identity certificate chain. OpenSSL calls
// it for every certificate of the built path, leaf to trust anchor, so no depth escapes it.
// Why each check exists: docs/certificates.md.
#include <string>

#include <openssl/types.h>

namespace azcm::crypto {

// Why `certificate` breaks the policy, or an empty string when it does not. Today: its serial
// number must be a positive integer (RFC 5280 4.1.2.2; zero and negative serials are refused).
std::string certificatePolicyViolation(const X509* certificate);

// An OpenSSL verify callback (X509_STORE_set_verify_cb, SSL_CTX_set_verify): keeps OpenSSL's own
// verdict and refuses, with X509_V_ERR_APPLICATION_VERIFICATION, a certificate of the path that
// breaks the policy. The reason is kept for certificatePolicyRefusal().
int certificatePolicyCallback(int preverify_ok, X509_STORE_CTX* context);

// Peer verification on (SSL_VERIFY_PEER) with the policy callback, for a TLS client context.
void installCertificatePolicy(SSL_CTX* context);
// The policy callback on a store; every X509_STORE_CTX initialised from it inherits it.
void installCertificatePolicy(X509_STORE* store);

// Why the policy refused the chain verified on `connection` or `context` ("certificate CN=x at
// depth 1 has serial number -05, which is not positive ..."), or an empty string when it did not.
std::string certificatePolicyRefusal(const SSL* connection);
std::string certificatePolicyRefusal(const X509_STORE_CTX* context);

// The verification failure of a finished TLS handshake for error messages: the policy's reason
// when it refused the chain, else OpenSSL's text for SSL_get_verify_result().
std::string tlsVerifyFailure(const SSL* connection);

} // namespace azcm::crypto
