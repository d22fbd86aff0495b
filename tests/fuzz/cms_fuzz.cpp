// CMS from the control plane: detached signatures over downloaded packages (checked before a zip
// is opened) and the EnvelopedData of extension protected settings, decrypted with extservice's
// settings key. The same bytes go to both, and to the thumbprint of a certificate.
#include "common/crypto/cms.hpp"
#include "crypto_data.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    (void)azcm::fuzz::fuzzPki();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto bytes = azcm::fuzz::asText(data, size);
    const auto& pki = azcm::fuzz::fuzzPki();
    auto signer = azcm::crypto::verifyDetachedCms(pki.signed_content, bytes, pki.root_pem);
    if (signer) {
        // Only the fixed signer holds a key that chains to the root.
        AZCM_FUZZ_CHECK(signer.value() == "azcm fuzz signer");
    }
    // The same signature over other content never verifies.
    AZCM_FUZZ_CHECK(
        !azcm::crypto::verifyDetachedCms(pki.signed_content + "x", bytes, pki.root_pem));
    (void)azcm::crypto::decryptCms(bytes, pki.signer_pem, pki.signer_key_pem);
    (void)azcm::crypto::certificateThumbprint(bytes);
    return 0;
}
