#include "emulator/protected_settings.hpp"

#include "common/crypto/cms.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/x509.hpp"

#include <memory>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace azcm::emulator {

namespace {

constexpr int kMinimumRsaBits = 2048;

// Key type and size from the SubjectPublicKeyInfo (x509.hpp reports neither).
bool isRsaOfAtLeast(const std::string& public_key_der, int bits) {
    const auto* cursor = reinterpret_cast<const unsigned char*>(public_key_der.data());
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        d2i_PUBKEY(nullptr, &cursor, static_cast<long>(public_key_der.size())), &EVP_PKEY_free);
    return key && EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA &&
           EVP_PKEY_get_bits(key.get()) >= bits;
}

} // namespace

Result<std::string> validateSettingsCertificate(std::string_view pem, SystemTime now) {
    if (pem.find("PRIVATE KEY") != std::string_view::npos) {
        return makeError(exitcode::kInvalidArgument,
                         "the registration must carry the certificate only, never a private key");
    }
    auto certificates = crypto::splitPemCertificates(pem);
    if (!certificates || certificates.value().size() != 1) {
        return makeError(exitcode::kInvalidArgument, "exactly one PEM certificate is required");
    }
    auto info = crypto::parseCertificatePem(certificates.value().front());
    if (!info) {
        return makeError(exitcode::kInvalidArgument,
                         "the certificate is unreadable: " + info.error().message);
    }
    if (now < info.value().not_before || now >= info.value().not_after) {
        return makeError(exitcode::kInvalidArgument, "the certificate is not valid at this time");
    }
    if (!isRsaOfAtLeast(info.value().public_key_der, kMinimumRsaBits)) {
        return makeError(exitcode::kInvalidArgument,
                         "the certificate's key must be RSA of at least 2048 bits");
    }
    return crypto::derToPem(info.value().der);
}

Result<nlohmann::json> protectedSettingsFields(const nlohmann::json& protected_settings,
                                               const std::optional<std::string>& cert_pem) {
    nlohmann::json fields = nlohmann::json::object();
    if (!protected_settings.is_object() || protected_settings.empty()) {
        return fields;
    }
    if (!cert_pem) {
        fields["protectedSettingsPending"] = true;
        return fields;
    }
    BOOST_OUTCOME_TRY(enveloped, crypto::encryptCms(protected_settings.dump(), *cert_pem));
    BOOST_OUTCOME_TRY(thumbprint, crypto::certificateThumbprint(*cert_pem));
    fields["protectedSettings"] = crypto::base64Encode(enveloped);
    fields["protectedSettingsCertThumbprint"] = thumbprint;
    return fields;
}

} // namespace azcm::emulator
