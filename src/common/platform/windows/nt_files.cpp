#include "common/platform/windows/nt_files.hpp"

#include "common/platform/windows/win32_error.hpp"

#include <sddl.h>

namespace azcm::platform::windows {

namespace {

// The process token's `which` class (TOKEN_USER, TOKEN_OWNER), in storage aligned for the SID it
// points into.
Result<std::vector<std::uint64_t>> processTokenInformation(TOKEN_INFORMATION_CLASS which) {
    OwnedHandle token;
    if (::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, token.out()) == FALSE) {
        return win32Error("cannot open the process token", ::GetLastError());
    }
    DWORD size = 0;
    ::GetTokenInformation(token.get(), which, nullptr, 0, &size);
    std::vector<std::uint64_t> buffer((size + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t));
    if (size == 0 ||
        ::GetTokenInformation(token.get(), which, buffer.data(), size, &size) == FALSE) {
        return win32Error(which == TokenUser ? "cannot read the process token's user"
                                             : "cannot read the process token's owner",
                          ::GetLastError());
    }
    return buffer;
}

} // namespace

bool isNotFound(NTSTATUS status) {
    return status == kStatusObjectNameNotFound || status == kStatusObjectPathNotFound;
}

Error ntStatusError(std::string what, NTSTATUS status) {
    return win32Error(std::move(what), ::RtlNtStatusToDosError(status));
}

NTSTATUS openRelative(HANDLE dir,
                      const std::wstring& name,
                      ACCESS_MASK access,
                      ULONG disposition,
                      ULONG options,
                      void* security,
                      OwnedHandle& out,
                      ULONG share) {
    UNICODE_STRING unicode_name{};
    unicode_name.Buffer = const_cast<wchar_t*>(name.c_str());
    unicode_name.Length = static_cast<USHORT>(name.size() * sizeof(wchar_t));
    unicode_name.MaximumLength = unicode_name.Length;
    OBJECT_ATTRIBUTES attributes{};
    InitializeObjectAttributes(&attributes, &unicode_name, OBJ_CASE_INSENSITIVE, dir, security);
    IO_STATUS_BLOCK io{};
    HANDLE handle = nullptr;
    const NTSTATUS status = ::NtCreateFile(
        &handle, access | SYNCHRONIZE, &attributes, &io, nullptr, FILE_ATTRIBUTE_NORMAL, share,
        disposition, options | FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_REPARSE_POINT, nullptr, 0);
    if (NT_SUCCESS(status)) {
        out = OwnedHandle(handle);
    }
    return status;
}

bool markForDeletion(HANDLE handle) {
    FILE_DISPOSITION_INFO disposition{};
    disposition.DeleteFile = TRUE;
    return ::SetFileInformationByHandle(handle, FileDispositionInfo, &disposition,
                                        sizeof disposition) != FALSE;
}

DWORD listDirectory(HANDLE dir, const std::function<void(std::wstring_view)>& visit) {
    std::vector<std::uint64_t> buffer(8192); // 8-byte aligned, as the entries are
    auto info_class = FileIdBothDirectoryRestartInfo;
    while (::GetFileInformationByHandleEx(dir, info_class, buffer.data(),
                                          static_cast<DWORD>(buffer.size() * 8)) != FALSE) {
        info_class = FileIdBothDirectoryInfo;
        const auto* bytes = reinterpret_cast<const char*>(buffer.data());
        for (;;) {
            const auto* entry = reinterpret_cast<const FILE_ID_BOTH_DIR_INFO*>(bytes);
            visit(std::wstring_view(entry->FileName, entry->FileNameLength / sizeof(wchar_t)));
            if (entry->NextEntryOffset == 0) {
                break;
            }
            bytes += entry->NextEntryOffset;
        }
    }
    return ::GetLastError();
}

std::vector<std::uint64_t> tokenSid(TOKEN_INFORMATION_CLASS which) {
    auto buffer = processTokenInformation(which);
    if (!buffer) {
        return {};
    }
    // TOKEN_USER and TOKEN_OWNER both begin with the SID's address.
    auto* data = buffer.value().data();
    const PSID sid = which == TokenUser ? reinterpret_cast<TOKEN_USER*>(data)->User.Sid
                                        : reinterpret_cast<TOKEN_OWNER*>(data)->Owner;
    std::vector<std::uint64_t> copy((::GetLengthSid(sid) + 7) / 8);
    ::CopySid(static_cast<DWORD>(copy.size() * 8), copy.data(), sid);
    return copy;
}

bool isThisAccount(PSID sid) {
    if (sid == nullptr) {
        return false;
    }
    for (const auto which : {TokenUser, TokenOwner}) {
        auto own = tokenSid(which);
        if (!own.empty() && ::EqualSid(sid, own.data()) != FALSE) {
            return true;
        }
    }
    return false;
}

Result<std::wstring> currentUserSid() {
    BOOST_OUTCOME_TRY(buffer, processTokenInformation(TokenUser));
    wchar_t* raw_text = nullptr;
    if (::ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid,
                                 &raw_text) == FALSE) {
        return win32Error("cannot format the process token's user", ::GetLastError());
    }
    const LocalMemory text(raw_text);
    return std::wstring(raw_text);
}

Result<LocalMemory> privateSecurityDescriptor(Inheritance inheritance) {
    BOOST_OUTCOME_TRY(user, currentUserSid());
    const std::wstring flags = inheritance == Inheritance::kToChildren ? L"OICI" : L"";
    const std::wstring sddl = L"D:P(A;" + flags + L";FA;;;SY)(A;" + flags + L";FA;;;BA)(A;" +
                              flags + L";FA;;;" + user + L")";
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1,
                                                               &descriptor, nullptr) == FALSE) {
        return win32Error("cannot build a private security descriptor", ::GetLastError());
    }
    return LocalMemory(descriptor);
}

Result<LocalMemory> securityForMode(std::uint32_t mode, Inheritance inheritance) {
    if ((mode & 077U) != 0) {
        return LocalMemory();
    }
    return privateSecurityDescriptor(inheritance);
}

Result<std::wstring> groupSharedFileSddl(const std::wstring& owner_sid,
                                         const std::wstring& group_sid,
                                         std::uint32_t mode) {
    const std::uint32_t group_bits = (mode >> 3U) & 07U;
    if ((mode & 07U) != 0 || group_bits == 0) {
        return makeError(
            exitcode::kGeneric,
            "a file shared with a group on Windows needs group bits and no other bits");
    }
    std::wstring rights;
    if ((group_bits & 04U) != 0) {
        rights += L"FR";
    }
    if ((group_bits & 02U) != 0) {
        rights += L"FW";
    }
    if ((group_bits & 01U) != 0) {
        rights += L"FX";
    }
    return L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;" + owner_sid + L")(A;;" + rights + L";;;" +
           group_sid + L")";
}

Result<LocalMemory> securityForGroupShare(std::uint32_t mode, const std::wstring& group_sid) {
    BOOST_OUTCOME_TRY(owner, currentUserSid());
    BOOST_OUTCOME_TRY(sddl, groupSharedFileSddl(owner, group_sid, mode));
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1,
                                                               &descriptor, nullptr) == FALSE) {
        return win32Error("cannot build the security descriptor of a group-shared file",
                          ::GetLastError());
    }
    return LocalMemory(descriptor);
}

} // namespace azcm::platform::windows
