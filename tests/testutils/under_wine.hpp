#pragma once
// Whether a Windows test runs under wine, whose ntdll exports wine_get_version: the tests assert
// wine's behaviour where it differs from Windows (docs/windows.md says where). Windows-only.
#include <windows.h>

namespace azcm::test {

inline bool underWine() {
    const HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

} // namespace azcm::test
