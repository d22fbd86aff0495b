#include "common/platform/windows/wide_text.hpp"

#include "common/platform/windows/win32_error.hpp"

#include <limits>

#include <windows.h>

namespace azcm::platform::windows {

namespace {

// The conversion functions take int lengths; longer text is not text we convert.
constexpr std::size_t kMaxLength = static_cast<std::size_t>(std::numeric_limits<int>::max());

Error tooLong(const char* what) {
    return makeError(exitcode::kInvalidArgument, std::string(what) + ": the text is too long");
}

} // namespace

Result<std::wstring> toWide(std::string_view utf8) {
    if (utf8.empty()) {
        return std::wstring();
    }
    if (utf8.size() > kMaxLength) {
        return tooLong("UTF-8 to UTF-16");
    }
    const int length = static_cast<int>(utf8.size());
    const int size =
        ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), length, nullptr, 0);
    if (size <= 0) {
        return win32Error("UTF-8 to UTF-16", ::GetLastError());
    }
    std::wstring out(static_cast<std::size_t>(size), L'\0');
    if (::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), length, out.data(),
                              size) != size) {
        return win32Error("UTF-8 to UTF-16", ::GetLastError());
    }
    return out;
}

Result<std::string> toUtf8(std::wstring_view utf16) {
    if (utf16.empty()) {
        return std::string();
    }
    if (utf16.size() > kMaxLength) {
        return tooLong("UTF-16 to UTF-8");
    }
    const int length = static_cast<int>(utf16.size());
    const int size = ::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, utf16.data(), length,
                                           nullptr, 0, nullptr, nullptr);
    if (size <= 0) {
        return win32Error("UTF-16 to UTF-8", ::GetLastError());
    }
    std::string out(static_cast<std::size_t>(size), '\0');
    if (::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, utf16.data(), length, out.data(), size,
                              nullptr, nullptr) != size) {
        return win32Error("UTF-16 to UTF-8", ::GetLastError());
    }
    return out;
}

std::string toUtf8Lossy(std::wstring_view utf16) {
    if (utf16.empty() || utf16.size() > kMaxLength) {
        return {};
    }
    const int length = static_cast<int>(utf16.size());
    const int size =
        ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), length, nullptr, 0, nullptr, nullptr);
    if (size <= 0) {
        return {};
    }
    std::string out(static_cast<std::size_t>(size), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), length, out.data(), size, nullptr, nullptr);
    return out;
}

} // namespace azcm::platform::windows
