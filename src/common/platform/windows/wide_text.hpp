#pragma once
// UTF-8 (our strings) <-> UTF-16 (the Win32 W functions). Both directions refuse malformed input
// instead of substituting U+FFFD: a name or a security descriptor that silently changed on the
// way to the system would refer to something else.
#include "common/error.hpp"

#include <string>
#include <string_view>

namespace azcm::platform::windows {

Result<std::wstring> toWide(std::string_view utf8);
Result<std::string> toUtf8(std::wstring_view utf16);

// For display only (messages, logs): never fails; what is not valid UTF-16 becomes U+FFFD.
std::string toUtf8Lossy(std::wstring_view utf16);

} // namespace azcm::platform::windows
