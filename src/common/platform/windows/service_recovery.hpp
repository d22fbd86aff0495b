#pragma once
// What the installer sets on an installed service beyond what the MSI's ServiceInstall table can
// say: restart on failure (the systemd units' Restart=on-failure), and for a virtual account
// (NT SERVICE\himds) an unrestricted service SID, without which Windows gives the account no SID
// to grant rights to.
#include "common/error.hpp"

#include <string>

namespace azcm::platform::windows {

// Whether the service manager took the setting: `unsupported` when it does not know the setting
// at all (ERROR_INVALID_LEVEL: wine 8's, for both); every other failure is an error.
enum class ServiceSetting { applied, unsupported };

// Restarts after 5 s, 30 s, then every 60 s; the failure count resets after a day.
Result<ServiceSetting> restartOnFailure(const std::string& service);
Result<ServiceSetting> useUnrestrictedServiceSid(const std::string& service);

} // namespace azcm::platform::windows
