// Certificates from outside the process: the identity service's answer, cloud.json's trust
// anchor, TLS peers' chains, the signer chains embedded in package signatures. Parsed as PEM and
// DER and validated against a fixed root: whatever verifies has only positive serial numbers.
#include "common/crypto/x509.hpp"
#include "crypto_data.hpp"
#include "fuzz_support.hpp"

#include <chrono>

namespace {

// 2030-01-01: inside the validity of the seed PKI, whatever day the fuzzer runs.
const azcm::crypto::SystemTime kCheckedAt = std::chrono::system_clock::from_time_t(1893456000);

bool positiveSerial(const std::string& serial_hex) {
    return !serial_hex.empty() && serial_hex.front() != '-' &&
           serial_hex.find_first_not_of('0') != std::string::npos;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    (void)azcm::fuzz::fuzzPki();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = azcm::fuzz::asText(data, size);
    if (auto der = azcm::crypto::parseCertificateDer(text); der) {
        AZCM_FUZZ_CHECK(!der.value().thumbprint_sha1_hex.empty());
        (void)azcm::crypto::derToPem(der.value().der);
    }
    (void)azcm::crypto::parseCertificatePem(text);
    auto split = azcm::crypto::splitPemCertificates(text);
    const auto& pki = azcm::fuzz::fuzzPki();
    if (auto verified = azcm::crypto::verifyCertificateChain(text, pki.root_pem, kCheckedAt);
        verified && split) {
        // Only the leaf is sure to be on the path: OpenSSL builds it from the leaf and the trust
        // anchor and skips what it cannot use, such as a copy of the root whose serial was
        // changed (its signature no longer holds). The checks at the other depths have unit
        // tests of their own.
        if (!split.value().empty()) {
            if (auto leaf = azcm::crypto::parseCertificatePem(split.value().front()); leaf) {
                AZCM_FUZZ_CHECK(positiveSerial(leaf.value().serial_hex));
            }
        }
    }
    (void)azcm::crypto::verifyCertificateChain(text, pki.root_pem, kCheckedAt, "fuzz.example");
    return 0;
}
