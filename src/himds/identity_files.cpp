#include "himds/identity_files.hpp"

#include "common/crypto/keys.hpp"
#include "common/fs/atomic_file.hpp"

namespace azcm::himds {

namespace stdfs = std::filesystem;

namespace {

constexpr fs::FileMode kSecretMode{0600, {}};
constexpr std::size_t kMaxPemBytes = 1 << 20;

bool isRegularFile(const stdfs::path& path) {
    std::error_code ec;
    return stdfs::is_regular_file(stdfs::symlink_status(path, ec));
}

} // namespace

bool keyMatchesCertificate(std::string_view private_key_pem,
                           const crypto::CertificateInfo& certificate) {
    auto public_key = crypto::publicKeyDer(private_key_pem);
    return public_key && public_key.value() == certificate.public_key_der;
}

IdentityFiles::IdentityFiles(stdfs::path certs_dir) : dir_(std::move(certs_dir)) {}

Result<void> IdentityFiles::writePendingKey(std::string_view private_key_pem) const {
    return fs::writeFileAtomic(pendingKey(), private_key_pem, kSecretMode);
}

Result<std::string> IdentityFiles::readPendingKey() const {
    return fs::readFile(pendingKey(), kMaxPemBytes);
}

Result<void> IdentityFiles::install(std::string_view certificate_pem) const {
    BOOST_OUTCOME_TRY(fs::renameDurably(pendingKey(), machineKey()));
    return fs::writeFileAtomic(machineCertificate(), certificate_pem, kSecretMode);
}

bool IdentityFiles::hasIdentity() const {
    return isRegularFile(machineKey()) && isRegularFile(machineCertificate());
}

Result<MachineIdentity> IdentityFiles::load() const {
    // Boost 1.74's two-argument TRY always declares a new variable.
    BOOST_OUTCOME_TRY(key, fs::readFile(machineKey(), kMaxPemBytes));
    BOOST_OUTCOME_TRY(pem, fs::readFile(machineCertificate(), kMaxPemBytes));
    BOOST_OUTCOME_TRY(info, crypto::parseCertificatePem(pem));
    MachineIdentity identity{std::move(key), std::move(pem), std::move(info)};
    if (!keyMatchesCertificate(identity.private_key_pem, identity.certificate)) {
        return makeError(exitcode::kRsaKey, machineCertificate().string() + " does not belong to " +
                                                machineKey().string());
    }
    return identity;
}

Result<void> IdentityFiles::removeAll() const {
    for (const auto& path :
         {machineKey(), machineCertificate(), pendingKey(), stagedKey(), stagedCertificate()}) {
        BOOST_OUTCOME_TRY(fs::removeFile(path));
    }
    return fs::syncDirectory(dir_);
}

Result<void> IdentityFiles::stageRenewal(std::string_view private_key_pem,
                                         std::string_view certificate_pem) const {
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(stagedKey(), private_key_pem, kSecretMode));
    return fs::writeFileAtomic(stagedCertificate(), certificate_pem, kSecretMode);
}

Result<void> IdentityFiles::commitRenewal() const {
    BOOST_OUTCOME_TRY(fs::renameDurably(stagedKey(), machineKey()));
    return fs::renameDurably(stagedCertificate(), machineCertificate());
}

void IdentityFiles::discardRenewal() const {
    (void)fs::removeFile(stagedKey());
    (void)fs::removeFile(stagedCertificate());
}

IdentityFiles::Recovery IdentityFiles::recoverInterruptedRenewal() const {
    const bool staged_key = isRegularFile(stagedKey());
    const bool staged_cert = isRegularFile(stagedCertificate());
    if (!staged_key && !staged_cert) {
        return Recovery::kNothing;
    }
    auto staged_certificate = [this]() -> Result<crypto::CertificateInfo> {
        BOOST_OUTCOME_TRY(pem, fs::readFile(stagedCertificate(), kMaxPemBytes));
        return crypto::parseCertificatePem(pem);
    };
    if (staged_cert) {
        auto certificate = staged_certificate();
        // Crash before the key rename: both staged files form the pair.
        // Crash between the renames: the staged certificate belongs to machine.key already.
        const auto key_path = staged_key ? stagedKey() : machineKey();
        auto key = fs::readFile(key_path, kMaxPemBytes);
        if (certificate && key && keyMatchesCertificate(key.value(), certificate.value())) {
            auto finished = staged_key
                                ? commitRenewal()
                                : fs::renameDurably(stagedCertificate(), machineCertificate());
            if (finished) {
                return Recovery::kCompleted;
            }
        }
    }
    discardRenewal();
    return Recovery::kDiscarded;
}

} // namespace azcm::himds
