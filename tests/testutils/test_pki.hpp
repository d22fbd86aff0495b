#pragma once
// A throw-away PKI for tests: a CA, a server certificate for 127.0.0.1/localhost and a client
// certificate, all made with the suite's own crypto module.
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

} // namespace azcm::test
