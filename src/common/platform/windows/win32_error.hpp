#pragma once
// The text of a Win32 error code (GetLastError(), a registry or service-manager status), for
// messages that name what failed and why. Windows-only: OS-neutral code uses
// system_error_text.hpp, whose numbers are C runtime errno values.
#include "common/error.hpp"

#include <string>

namespace azcm::platform {

// "Access is denied. (error 5)": the system's own message, trailing line break removed, and the
// number, which stays useful when the message is missing or localised.
std::string win32ErrorText(unsigned long code);

// An Error (exitcode::kGeneric) reading "<what>: <win32ErrorText(code)>".
Error win32Error(std::string what, unsigned long code);

} // namespace azcm::platform
