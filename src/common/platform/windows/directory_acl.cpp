#include "common/platform/windows/directory_acl.hpp"

#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/pipe_security.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <windows.h>
// after windows.h, whose types they use
#include <aclapi.h>
#include <sddl.h>

namespace azcm::platform::windows {

Result<void> ensureDirectoryWithDacl(const std::filesystem::path& directory,
                                     const std::string& sddl) {
    BOOST_OUTCOME_TRY(descriptor, SecurityDescriptor::fromSddl(sddl));
    // Created with its final DACL: there is no moment when it has the parent's.
    SECURITY_ATTRIBUTES attributes{sizeof(attributes), descriptor.get(), FALSE};
    if (!::CreateDirectoryW(directory.c_str(), &attributes) &&
        ::GetLastError() != ERROR_ALREADY_EXISTS) {
        return win32Error("cannot create " + toUtf8Lossy(directory.wstring()), ::GetLastError());
    }
    BOOL present = FALSE;
    BOOL defaulted = FALSE;
    PACL dacl = nullptr;
    if (!::GetSecurityDescriptorDacl(descriptor.get(), &present, &dacl, &defaulted) || !present) {
        return makeError(exitcode::kGeneric, "the security descriptor has no DACL: " + sddl);
    }
    std::wstring name = directory.wstring();
    const DWORD status =
        ::SetNamedSecurityInfoW(name.data(), SE_FILE_OBJECT,
                                DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                                nullptr, nullptr, dacl, nullptr);
    if (status != ERROR_SUCCESS) {
        return win32Error("cannot set the DACL of " + toUtf8Lossy(name), status);
    }
    return ok();
}

Result<std::string> directoryDacl(const std::filesystem::path& path) {
    PSECURITY_DESCRIPTOR raw = nullptr;
    const DWORD status =
        ::GetNamedSecurityInfoW(path.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                                nullptr, nullptr, nullptr, &raw);
    if (status != ERROR_SUCCESS) {
        return win32Error("cannot read the DACL of " + toUtf8Lossy(path.wstring()), status);
    }
    const LocalMemory descriptor(raw);
    LPWSTR text = nullptr;
    if (!::ConvertSecurityDescriptorToStringSecurityDescriptorW(
            raw, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr)) {
        return win32Error("cannot write a DACL as SDDL", ::GetLastError());
    }
    const LocalMemory owned_text(text);
    return toUtf8(text);
}

} // namespace azcm::platform::windows
