#pragma once
// Extension protected settings (docs/protocol.md 3.4): the settings certificate a machine's
// extension service registers, and the goal state fields that carry protected settings encrypted
// to it. The emulator never holds the matching private key, and protected settings never appear
// in clear outside the database.
#include "common/error.hpp"
#include "emulator/emulator_clock.hpp"

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

// Checks a registration: exactly one certificate and no private key, an RSA key of at least 2048
// bits, valid at `now`. Returns the certificate re-encoded as PEM (what is stored).
Result<std::string> validateSettingsCertificate(std::string_view pem, SystemTime now);

// The protected-settings fields of one goal state entry (empty object when there are none):
//   with a certificate: {"protectedSettings": base64(CMS EnvelopedData DER of the JSON text),
//                        "protectedSettingsCertThumbprint": SHA-1 upper hex}
//   without one:        {"protectedSettingsPending": true}
Result<nlohmann::json> protectedSettingsFields(const nlohmann::json& protected_settings,
                                               const std::optional<std::string>& cert_pem);

} // namespace azcm::emulator
