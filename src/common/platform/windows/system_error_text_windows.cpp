// system_error_text.hpp with strerror_s, which writes into the caller's buffer. The numbers are
// C runtime errno values on Windows too (the callers pass errno after a CRT or std call); Win32
// error codes have their own text in win32_error.hpp.
#include "common/platform/system_error_text.hpp"

#include <array>
#include <cstring>

namespace azcm::platform {

std::string systemErrorText(int error_number) {
    std::array<char, 256> buffer{};
    if (::strerror_s(buffer.data(), buffer.size(), error_number) != 0) {
        return "Unknown error " + std::to_string(error_number);
    }
    std::string text = buffer.data();
    // The C runtime says only "Unknown error" for a number it does not know; the interface
    // promises the number too.
    if (text.empty() || text == "Unknown error") {
        return "Unknown error " + std::to_string(error_number);
    }
    return text;
}

} // namespace azcm::platform
