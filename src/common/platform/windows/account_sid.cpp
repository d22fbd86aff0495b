#include "common/platform/windows/account_sid.hpp"

#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <vector>

#include <sddl.h>
#include <windows.h>

namespace azcm::platform::windows {

Result<std::optional<std::string>> accountSid(const std::string& name) {
    BOOST_OUTCOME_TRY(wide_name, toWide(name));
    DWORD sid_size = 0;
    DWORD domain_size = 0;
    SID_NAME_USE use{};
    // First call: the sizes, or ERROR_NONE_MAPPED when nobody has that name.
    ::LookupAccountNameW(nullptr, wide_name.c_str(), nullptr, &sid_size, nullptr, &domain_size,
                         &use);
    const DWORD first_error = ::GetLastError();
    if (first_error == ERROR_NONE_MAPPED) {
        return std::optional<std::string>();
    }
    if (sid_size == 0) {
        return win32Error("LookupAccountName(" + name + ")", first_error);
    }
    std::vector<unsigned char> sid(sid_size);
    std::vector<wchar_t> domain(domain_size + 1);
    if (::LookupAccountNameW(nullptr, wide_name.c_str(), sid.data(), &sid_size, domain.data(),
                             &domain_size, &use) == FALSE) {
        return win32Error("LookupAccountName(" + name + ")", ::GetLastError());
    }
    wchar_t* text = nullptr;
    if (::ConvertSidToStringSidW(sid.data(), &text) == FALSE) {
        return win32Error("ConvertSidToStringSid", ::GetLastError());
    }
    const LocalMemory owned(text);
    BOOST_OUTCOME_TRY(utf8, toUtf8(text));
    return std::optional<std::string>(std::move(utf8));
}

} // namespace azcm::platform::windows
