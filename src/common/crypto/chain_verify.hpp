#pragma once
// Internal to the crypto module: RFC 5280 path validation with the certificate policy
// (certificate_policy.hpp), shared by the identity chain check (x509.cpp) and package signatures
// (cms.cpp). Include it only from src/common/crypto/*.cpp.
#include "common/crypto/x509.hpp"
#include "common/error.hpp"

#include <optional>
#include <string>

#include <openssl/x509.h>

namespace azcm::crypto::detail {

struct ChainCheck {
    unsigned long flags = 0;      // X509_V_FLAG_*
    std::optional<SystemTime> at; // verification time; now when not set
    std::string host;             // the leaf must match it (DNS name or IP address) when set
    int purpose = 0;              // X509_PURPOSE_*; 0 checks no key purpose
};

// Verifies `leaf` up to one of `anchors` (the only trust anchors), with `untrusted` (may be null)
// offered as intermediates. Every certificate of the built path passes the certificate policy.
// The error names the failure, the depth and the certificate.
Result<void> verifyChain(X509* leaf,
                         STACK_OF(X509) * untrusted,
                         STACK_OF(X509) * anchors,
                         const ChainCheck& check);

} // namespace azcm::crypto::detail
