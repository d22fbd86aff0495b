#pragma once
// A throw-away PKI for tests: a CA, a server certificate for 127.0.0.1/localhost and a client
// certificate, all made with the suite's own crypto module; and certificates with serial numbers
// that module refuses to make (SerialTestPki).
#include <string>

namespace azcm::test {

struct TestPki {
    std::string ca_key_pem;
    std::string ca_cert_pem;
    std::string server_key_pem;
    std::string server_cert_pem; // SAN DNS:localhost, IP:127.0.0.1, IP:::1
    std::string client_key_pem;
    std::string client_cert_pem;
};

// Generated once per test process (RSA key generation is slow) and then shared.
const TestPki& testPki();

// An RSA key of no certificate of the test PKI (a mismatched or foreign key), made once.
const std::string& otherKey();

// Certificates from testPki()'s CA whose serial numbers break RFC 5280 4.1.2.2 ("MUST be a
// positive integer"), each beside a twin that differs only by its serial, so a test that sees
// the twin accepted knows the serial is what is refused. Server certificates for localhost,
// 127.0.0.1 and ::1 with testPki().server_key_pem; they also serve as CMS signers.
struct SerialTestPki {
    std::string negative_leaf_pem; // depth 0: serial -0x5A5A, issued by the CA
    std::string zero_leaf_pem;     // depth 0: serial 0
    std::string positive_leaf_pem; // the twin: serial 0x5A5A
    // Depth 1: an intermediate CA (its own key) issued by the CA with a negative serial, and its
    // twin with a positive one; `leaf_under_intermediate_pem` (positive serial) chains to both.
    std::string intermediate_key_pem;
    std::string negative_intermediate_pem;
    std::string positive_intermediate_pem;
    std::string leaf_under_intermediate_pem;
};

const SerialTestPki& serialTestPki();

// `certificate_pem` with its serial replaced by `serial` and signed again by `issuer_key_pem`
// (a self-signed certificate's own key): a certificate the suite's own issuing code never makes.
std::string
withSerial(const std::string& certificate_pem, const std::string& issuer_key_pem, long serial);

} // namespace azcm::test
