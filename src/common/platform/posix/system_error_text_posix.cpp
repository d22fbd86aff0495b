// system_error_text.hpp with strerror_r, which writes into the caller's buffer.
#include "common/platform/system_error_text.hpp"

#include <array>
#include <cstring>

namespace azcm::platform {

namespace {

// glibc with _GNU_SOURCE (g++ defines it) returns the text, which may not be in the buffer;
// POSIX strerror_r returns 0 and fills the buffer. One overload per form.
[[maybe_unused]] std::string fromStrerror(const char* text, const char* /*buffer*/) {
    return text;
}
[[maybe_unused]] std::string fromStrerror(int result, const char* buffer) {
    return result == 0 ? std::string(buffer) : std::string("Unknown error");
}

} // namespace

std::string systemErrorText(int error_number) {
    std::array<char, 256> buffer{};
    return fromStrerror(::strerror_r(error_number, buffer.data(), buffer.size()), buffer.data());
}

} // namespace azcm::platform
