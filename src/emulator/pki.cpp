#include "emulator/pki.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"

#include <system_error>

#include <spdlog/spdlog.h>

namespace azcm::emulator {

namespace {

constexpr auto kCaLifetime = std::chrono::hours(24 * 3650);
constexpr auto kTlsLifetime = std::chrono::hours(24 * 397);
constexpr auto kTlsRenewBefore = std::chrono::hours(24 * 30);
constexpr fs::FileMode kSecretMode{0600, {}};
constexpr fs::FileMode kPublicMode{0644, {}};

// Boost 1.74's BOOST_OUTCOME_TRY only declares; this assigns an existing member.
template <class T> Result<void> assignTo(T& target, Result<T> result) {
    if (!result) {
        return result.error();
    }
    target = std::move(result.value());
    return ok();
}

bool fileExists(const std::filesystem::path& path) {
    std::error_code ignored;
    return std::filesystem::exists(std::filesystem::symlink_status(path, ignored));
}

Result<std::string> loadOrCreateKey(const std::filesystem::path& path, bool& created) {
    created = false;
    if (fileExists(path)) {
        return fs::readFile(path, 1 << 20);
    }
    BOOST_OUTCOME_TRY(key, crypto::generateRsaPrivateKeyPem(2048));
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(path, key, kSecretMode));
    created = true;
    return key;
}

Result<void> ensureCa(const DataDir& dir, EmulatorPki& pki) {
    const bool have_key = fileExists(dir.caKey());
    const bool have_cert = fileExists(dir.caCert());
    if (have_key != have_cert) {
        return makeError(exitcode::kInitFailed,
                         "emulator data directory has only one of ca.key and ca.crt; remove the "
                         "other or both to create a new CA");
    }
    if (have_key) {
        BOOST_OUTCOME_TRY(assignTo(pki.ca_key_pem, fs::readFile(dir.caKey(), 1 << 20)));
        BOOST_OUTCOME_TRY(assignTo(pki.ca_cert_pem, fs::readFile(dir.caCert(), 1 << 20)));
        return ok();
    }
    BOOST_OUTCOME_TRY(assignTo(pki.ca_key_pem, crypto::generateRsaPrivateKeyPem(2048)));
    BOOST_OUTCOME_TRY(assignTo(pki.ca_cert_pem,
                               crypto::createSelfSignedCaPem(
                                   pki.ca_key_pem, "Arc Emulator CA",
                                   std::chrono::duration_cast<std::chrono::seconds>(kCaLifetime))));
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(dir.caKey(), pki.ca_key_pem, kSecretMode));
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(dir.caCert(), pki.ca_cert_pem, kPublicMode));
    spdlog::info("EMULATOR_CA_CREATED path={}", dir.caCert().string());
    return ok();
}

bool tlsCertificateUsable(const EmulatorPki& pki, SystemTime now) {
    if (!crypto::verifyCertificateChain(pki.tls_cert_pem, pki.ca_cert_pem, now, "127.0.0.1")) {
        return false;
    }
    auto info = crypto::parseCertificatePem(pki.tls_cert_pem);
    auto key_der = crypto::publicKeyDer(pki.tls_key_pem);
    return info && key_der && info.value().not_after - now > kTlsRenewBefore &&
           info.value().public_key_der == key_der.value();
}

Result<void> ensureTls(const DataDir& dir, EmulatorPki& pki, SystemTime now) {
    bool created = false;
    BOOST_OUTCOME_TRY(assignTo(pki.tls_key_pem, loadOrCreateKey(dir.tlsKey(), created)));
    if (!created && fileExists(dir.tlsCert())) {
        BOOST_OUTCOME_TRY(assignTo(pki.tls_cert_pem, fs::readFile(dir.tlsCert(), 1 << 20)));
        if (tlsCertificateUsable(pki, now)) {
            return ok();
        }
    }
    BOOST_OUTCOME_TRY(public_der, crypto::publicKeyDer(pki.tls_key_pem));
    crypto::IssueRequest request;
    request.subject_common_name = "localhost";
    request.subject_public_key_der = public_der;
    request.dns_names = {"localhost"};
    request.ip_addresses = {"127.0.0.1", "::1"};
    request.usage = crypto::CertificateUsage::kServer;
    request.lifetime = std::chrono::duration_cast<std::chrono::seconds>(kTlsLifetime);
    request.not_before = now - std::chrono::minutes(5);
    BOOST_OUTCOME_TRY(assignTo(
        pki.tls_cert_pem, crypto::issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, request)));
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(dir.tlsCert(), pki.tls_cert_pem, kPublicMode));
    spdlog::info("EMULATOR_TLS_CERT_ISSUED path={}", dir.tlsCert().string());
    return ok();
}

} // namespace

Result<std::string> keyIdFor(const std::string& private_key_pem) {
    BOOST_OUTCOME_TRY(der, crypto::publicKeyDer(private_key_pem));
    return crypto::base64UrlEncode(crypto::sha1(der));
}

Result<EmulatorPki> loadOrCreatePki(const DataDir& dir, SystemTime now) {
    EmulatorPki pki;
    BOOST_OUTCOME_TRY(ensureCa(dir, pki));
    BOOST_OUTCOME_TRY(ensureTls(dir, pki, now));
    bool created = false;
    BOOST_OUTCOME_TRY(assignTo(pki.signing_key_pem, loadOrCreateKey(dir.signingKey(), created)));
    BOOST_OUTCOME_TRY(assignTo(pki.signing_public_pem, crypto::publicKeyPem(pki.signing_key_pem)));
    BOOST_OUTCOME_TRY(assignTo(pki.signing_kid, keyIdFor(pki.signing_key_pem)));
    std::error_code ec;
    pki.ca_cert_path = std::filesystem::absolute(dir.caCert(), ec);
    if (ec) {
        return makeError(exitcode::kInitFailed, "cannot resolve " + dir.caCert().string());
    }
    BOOST_OUTCOME_TRY(assignTo(pki.package_signer, loadOrCreatePackageSigner(dir, now)));
    return pki;
}

} // namespace azcm::emulator
