#pragma once
// The settings certificate: an RSA-2048 key and a self-signed certificate that
// extservice generates once and registers with the control plane, which encrypts protected
// settings to it. It is NOT the machine identity: no extension may hold that. Handlers find the
// pair as <extensionsDir>/<THUMBPRINT>.crt and .prv (the WALinuxAgent convention), root only.
#include "common/error.hpp"
#include "common/paths/paths.hpp"

#include <filesystem>
#include <string>

namespace azcm::extservice {

struct SettingsCertificate {
    std::string thumbprint; // upper-case SHA-1 hex, as protectedSettingsCertThumbprint
    std::string certificate_pem;
    std::filesystem::path certificate_file;
    std::filesystem::path key_file;
};

// Loads the certificate named by <extensionStateDir>/settings_certificate.json, or creates a new
// pair (both files 0600, created with that mode) and then that pointer file. A crash between the
// steps leaves at most an unused pair behind; the next start makes a fresh one.
Result<SettingsCertificate> ensureSettingsCertificate(const Paths& paths);

} // namespace azcm::extservice
