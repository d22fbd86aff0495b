#include "common/platform/windows/win32_error.hpp"

#include "common/platform/windows/wide_text.hpp"

#include <memory>

#include <windows.h>

namespace azcm::platform {

namespace {

struct LocalFreeDeleter {
    void operator()(wchar_t* text) const { ::LocalFree(text); }
};

} // namespace

std::string win32ErrorText(unsigned long code) {
    wchar_t* raw = nullptr;
    // FORMAT_MESSAGE_IGNORE_INSERTS: a message with %1 placeholders must not read arguments we
    // never pass.
    const DWORD length = ::FormatMessageW(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
        nullptr, code, 0, reinterpret_cast<wchar_t*>(&raw), 0, nullptr);
    const std::unique_ptr<wchar_t, LocalFreeDeleter> owned(raw);
    std::string text =
        length > 0 ? windows::toUtf8Lossy(std::wstring_view(raw, length)) : std::string();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    if (text.empty()) {
        text = "Unknown error";
    }
    return text + " (error " + std::to_string(code) + ")";
}

Error win32Error(std::string what, unsigned long code) {
    return makeError(exitcode::kGeneric, std::move(what) + ": " + win32ErrorText(code));
}

} // namespace azcm::platform
