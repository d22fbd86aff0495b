#include "extservice/settings_certificate.hpp"

#include "common/crypto/cms.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"

#include <cstddef>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

namespace {

constexpr std::chrono::seconds kLifetime{std::chrono::hours(24 * 365 * 10)};

std::filesystem::path pointerFile(const Paths& paths) {
    return paths.extensionStateDir() / "settings_certificate.json";
}

SettingsCertificate filesFor(const Paths& paths, const std::string& thumbprint) {
    SettingsCertificate certificate;
    certificate.thumbprint = thumbprint;
    certificate.certificate_file = paths.extensionsDir() / (thumbprint + ".crt");
    certificate.key_file = paths.extensionsDir() / (thumbprint + ".prv");
    return certificate;
}

Result<SettingsCertificate> loadExisting(const Paths& paths) {
    auto pointer = fs::readFile(pointerFile(paths), 4096);
    if (!pointer) {
        return pointer.error();
    }
    BOOST_OUTCOME_TRY(document, jsondoc::parse(pointer.value(), pointerFile(paths).string()));
    BOOST_OUTCOME_TRY(thumbprint_text,
                      jsondoc::getString(document, "thumbprint", pointerFile(paths).string()));
    // It names files: hex digits only, so it cannot point outside the directory.
    if (thumbprint_text.empty() ||
        thumbprint_text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        return makeError(exitcode::kGeneric,
                         pointerFile(paths).string() + ": field 'thumbprint': hex digits expected");
    }
    auto certificate = filesFor(paths, thumbprint_text);
    auto pem = fs::readFile(certificate.certificate_file, std::size_t{64} * 1024);
    if (!pem) {
        return pem.error();
    }
    auto thumbprint = crypto::certificateThumbprint(pem.value());
    if (!thumbprint || thumbprint.value() != certificate.thumbprint ||
        !std::filesystem::exists(certificate.key_file)) {
        return makeError(exitcode::kGeneric, "the settings certificate files do not match");
    }
    certificate.certificate_pem = std::move(pem).value();
    return certificate;
}

} // namespace

Result<SettingsCertificate> ensureSettingsCertificate(const Paths& paths) {
    if (auto existing = loadExisting(paths)) {
        return existing;
    }
    for (const auto& [directory, mode] :
         {std::pair{paths.extensionsDir(), platform::FileMode{0755}},
          std::pair{paths.extensionStateDir(), platform::FileMode{0700}}}) {
        if (auto made = fs::ensureDirectory(directory, {mode, {}}); !made) {
            return made.error();
        }
    }
    auto key = crypto::generateRsaPrivateKeyPem(2048);
    if (!key) {
        return key.error();
    }
    auto pem = crypto::createSelfSignedCaPem(key.value(), "extservice settings", kLifetime);
    if (!pem) {
        return pem.error();
    }
    auto thumbprint = crypto::certificateThumbprint(pem.value());
    if (!thumbprint) {
        return thumbprint.error();
    }
    auto certificate = filesFor(paths, thumbprint.value());
    // Key first: a certificate file without its key would be useless to a handler.
    for (const auto& [file, content] :
         {std::pair{certificate.key_file, key.value()},
          std::pair{certificate.certificate_file, pem.value()},
          std::pair{pointerFile(paths),
                    nlohmann::json{{"thumbprint", thumbprint.value()}}.dump()}}) {
        if (auto written = fs::writeFileAtomic(file, content, {0600, {}}); !written) {
            return written.error();
        }
    }
    certificate.certificate_pem = std::move(pem).value();
    return certificate;
}

} // namespace azcm::extservice
