#pragma once
// The machine identity on disk, in the certs directory (0700, himds only): machine.key and
// machine.crt (0600), pending.key while `azcmagent connect` runs, and machine.{key,crt}.new during
// a renewal. Callers serialise access (HimdsService holds one mutex around every use).
#include "common/crypto/x509.hpp"
#include "common/error.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace azcm::himds {

struct MachineIdentity {
    std::string private_key_pem;
    std::string certificate_pem; // leaf first, then the issuing chain as the service sent it
    crypto::CertificateInfo certificate;
};

class IdentityFiles {
public:
    explicit IdentityFiles(std::filesystem::path certs_dir);

    std::filesystem::path pendingKey() const { return dir_ / "pending.key"; }
    std::filesystem::path machineKey() const { return dir_ / "machine.key"; }
    std::filesystem::path machineCertificate() const { return dir_ / "machine.crt"; }
    std::filesystem::path stagedKey() const { return dir_ / "machine.key.new"; }
    std::filesystem::path stagedCertificate() const { return dir_ / "machine.crt.new"; }

    // Replaces any older pending key; the file is created 0600 before content is written.
    Result<void> writePendingKey(std::string_view private_key_pem) const;
    Result<std::string> readPendingKey() const;

    // pending.key becomes machine.key (rename), machine.crt is written next to it.
    Result<void> install(std::string_view certificate_pem) const;

    bool hasIdentity() const;
    // Reads machine.key and machine.crt and checks that they belong together.
    Result<MachineIdentity> load() const;

    // Deletes machine.key, machine.crt, pending.key and any staged renewal.
    Result<void> removeAll() const;

    // Renewal in two steps so a crash always leaves a matching pair: stage writes both *.new
    // files; commit renames the key, then the certificate.
    Result<void> stageRenewal(std::string_view private_key_pem,
                              std::string_view certificate_pem) const;
    Result<void> commitRenewal() const;
    void discardRenewal() const;

    enum class Recovery { kNothing, kCompleted, kDiscarded };
    // At start: finishes a renewal that a crash interrupted after staging, or discards the
    // leftovers when they do not form a pair with a key.
    Recovery recoverInterruptedRenewal() const;

private:
    std::filesystem::path dir_;
};

// True when the private key PEM and the certificate's SubjectPublicKeyInfo belong together.
bool keyMatchesCertificate(std::string_view private_key_pem,
                           const crypto::CertificateInfo& certificate);

} // namespace azcm::himds
