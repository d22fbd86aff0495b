#include "common/platform/windows/pipe_security.hpp"

#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include <windows.h>
// after windows.h, whose types they use
#include <aclapi.h>
#include <sddl.h>

namespace azcm::platform::windows {

namespace {

// While a thread impersonates a pipe client it acts as that client. Reverting cannot be left to
// a code path that might return early; if it fails the thread would go on as the client, so the
// process stops instead (failing closed).
class ImpersonationGuard {
public:
    ImpersonationGuard() = default;
    ImpersonationGuard(const ImpersonationGuard&) = delete;
    ImpersonationGuard& operator=(const ImpersonationGuard&) = delete;
    ~ImpersonationGuard() {
        if (::RevertToSelf() == FALSE) {
            std::abort();
        }
    }
};

// A SID field as Windows prints it: decimal, no leading zero, at most 32 bits (the identifier
// authority has 48, but Windows prints those of 2^32 and above in hex, which no SID we use has).
bool isSidField(std::string_view field) {
    if (field.empty() || field.size() > 10 || (field.size() > 1 && field.front() == '0')) {
        return false;
    }
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    return error == std::errc() && end == field.data() + field.size() && value <= 0xFFFFFFFFull;
}

std::string aceFor(std::string_view rights, std::string_view sid) {
    return "(A;;" + std::string(rights) + ";;;" + std::string(sid) + ")";
}

Result<std::string> sidText(PSID sid) {
    wchar_t* raw = nullptr;
    if (::ConvertSidToStringSidW(sid, &raw) == FALSE) {
        return win32Error("ConvertSidToStringSid", ::GetLastError());
    }
    const LocalMemory owned(raw);
    return toUtf8(raw);
}

// GetTokenInformation for a variable-size class: asks for the size, then fills.
Result<std::vector<unsigned char>>
tokenInformation(HANDLE token, TOKEN_INFORMATION_CLASS information, const char* what) {
    DWORD size = 0;
    ::GetTokenInformation(token, information, nullptr, 0, &size);
    if (size == 0) {
        return win32Error(std::string("GetTokenInformation(") + what + ")", ::GetLastError());
    }
    std::vector<unsigned char> buffer(size);
    if (::GetTokenInformation(token, information, buffer.data(), size, &size) == FALSE) {
        return win32Error(std::string("GetTokenInformation(") + what + ")", ::GetLastError());
    }
    return buffer;
}

Result<std::string> tokenUserSid(HANDLE token) {
    auto user = tokenInformation(token, TokenUser, "TokenUser");
    if (!user) {
        return std::move(user).error();
    }
    return sidText(reinterpret_cast<const TOKEN_USER*>(user.value().data())->User.Sid);
}

bool contains(const std::vector<std::string>& sids, std::string_view sid) {
    return std::find(sids.begin(), sids.end(), sid) != sids.end();
}

} // namespace

bool isSidString(std::string_view text) {
    if (!text.starts_with("S-1-")) {
        return false;
    }
    text.remove_prefix(4);
    int field = 0;
    while (true) {
        const auto dash = text.find('-');
        const auto part = text.substr(0, dash);
        if (!isSidField(part)) {
            return false;
        }
        ++field;
        if (dash == std::string_view::npos) {
            break;
        }
        text.remove_prefix(dash + 1);
    }
    constexpr int kMaxSubAuthorities = 15;
    return field >= 2 && field <= 1 + kMaxSubAuthorities;
}

Result<std::string> pipeSecurityDescriptorSddl(const PipeAccessRules& rules) {
    if (!isSidString(rules.service_sid)) {
        return makeError(exitcode::kInvalidArgument,
                         "pipe security: not a SID: '" + rules.service_sid + "'");
    }
    if (rules.reader_group_sid && !isSidString(*rules.reader_group_sid)) {
        return makeError(exitcode::kInvalidArgument,
                         "pipe security: not a SID: '" + *rules.reader_group_sid + "'");
    }
    char client_rights[16];
    const auto written =
        std::to_chars(client_rights, client_rights + sizeof client_rights, kPipeClientAccess, 16);
    const std::string client_mask = "0x" + std::string(client_rights, written.ptr);

    // "P": protected, so that no ACE is inherited from anywhere. The deny ACE for NETWORK (NU)
    // comes first, as deny ACEs must; with PIPE_REJECT_REMOTE_CLIENTS it keeps the pipe local
    // twice over.
    std::string sddl =
        "O:" + rules.service_sid + "D:P(D;;FA;;;NU)" + aceFor("FA", "SY") + aceFor("FA", "BA");
    if (rules.service_sid != kLocalSystemSid && rules.service_sid != kAdministratorsSid) {
        sddl += aceFor("FA", rules.service_sid);
    }
    if (rules.reader_group_sid) {
        sddl += aceFor(client_mask, *rules.reader_group_sid);
    }
    if (rules.authenticated_users_may_connect) {
        sddl += aceFor(client_mask, "AU");
    }
    return sddl;
}

void SecurityDescriptor::LocalFreeDeleter::operator()(void* memory) const {
    ::LocalFree(memory);
}

Result<SecurityDescriptor> SecurityDescriptor::fromSddl(std::string_view sddl) {
    auto wide = toWide(sddl);
    if (!wide) {
        return std::move(wide).error();
    }
    PSECURITY_DESCRIPTOR raw = nullptr;
    if (::ConvertStringSecurityDescriptorToSecurityDescriptorW(
            wide.value().c_str(), SDDL_REVISION_1, &raw, nullptr) == FALSE) {
        return win32Error("invalid security descriptor '" + std::string(sddl) + "'",
                          ::GetLastError());
    }
    SecurityDescriptor descriptor;
    descriptor.descriptor_.reset(raw);
    return descriptor;
}

PipePeerAccess classifyPipePeer(const PipePeer& peer,
                                std::string_view server_user_sid,
                                std::optional<std::string_view> reader_group_sid) {
    if (peer.restricted || peer.user_sid.empty()) {
        return PipePeerAccess::none;
    }
    if (peer.user_sid == kLocalSystemSid ||
        (!server_user_sid.empty() && peer.user_sid == server_user_sid)) {
        return PipePeerAccess::privileged;
    }
    // An administrator's unelevated (filtered) token holds Administrators deny-only: it is not
    // among the enabled groups, and the token is not elevated. Both are required.
    if (peer.elevated && contains(peer.group_sids, kAdministratorsSid)) {
        return PipePeerAccess::privileged;
    }
    if (reader_group_sid && !reader_group_sid->empty() &&
        contains(peer.group_sids, *reader_group_sid)) {
        return PipePeerAccess::reader;
    }
    return PipePeerAccess::none;
}

Result<PipePeer> peerFromToken(void* token) {
    PipePeer peer;
    auto user = tokenUserSid(token);
    if (!user) {
        return std::move(user).error();
    }
    peer.user_sid = std::move(user).value();

    auto groups = tokenInformation(token, TokenGroups, "TokenGroups");
    if (!groups) {
        return std::move(groups).error();
    }
    const auto* list = reinterpret_cast<const TOKEN_GROUPS*>(groups.value().data());
    for (DWORD index = 0; index < list->GroupCount; ++index) {
        const auto& group = list->Groups[index];
        if ((group.Attributes & SE_GROUP_ENABLED) == 0 ||
            (group.Attributes & SE_GROUP_USE_FOR_DENY_ONLY) != 0) {
            continue;
        }
        auto sid = sidText(group.Sid);
        if (!sid) {
            return std::move(sid).error();
        }
        peer.group_sids.push_back(std::move(sid).value());
    }

    TOKEN_ELEVATION elevation{};
    DWORD size = 0;
    if (::GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &size) ==
        FALSE) {
        return win32Error("GetTokenInformation(TokenElevation)", ::GetLastError());
    }
    peer.elevated = elevation.TokenIsElevated != 0;
    peer.restricted = ::IsTokenRestricted(token) != FALSE;
    return peer;
}

Result<std::string> currentProcessUserSid() {
    OwnedHandle token;
    if (::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, token.out()) == FALSE) {
        return win32Error("OpenProcessToken", ::GetLastError());
    }
    return tokenUserSid(token.get());
}

Result<PipePeer> pipeClientPeer(void* pipe) {
    OwnedHandle token;
    {
        if (::ImpersonateNamedPipeClient(pipe) == FALSE) {
            return win32Error("ImpersonateNamedPipeClient", ::GetLastError());
        }
        const ImpersonationGuard revert;
        // OpenAsSelf: the access check on the token uses the service's own identity; a client
        // that allowed only identification would otherwise fail it.
        if (::OpenThreadToken(::GetCurrentThread(), TOKEN_QUERY, TRUE, token.out()) == FALSE) {
            return win32Error("OpenThreadToken of the pipe client", ::GetLastError());
        }
    }
    auto peer = peerFromToken(token.get());
    if (!peer) {
        return peer;
    }
    ULONG pid = 0;
    if (::GetNamedPipeClientProcessId(pipe, &pid) == FALSE) {
        return win32Error("GetNamedPipeClientProcessId", ::GetLastError());
    }
    peer.value().pid = static_cast<ProcessId>(pid);
    return peer;
}

Result<std::string> pipeOwnerSid(void* pipe) {
    PSID owner = nullptr;
    PSECURITY_DESCRIPTOR raw = nullptr;
    const DWORD status = ::GetSecurityInfo(pipe, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION,
                                           &owner, nullptr, nullptr, nullptr, &raw);
    if (status != ERROR_SUCCESS) {
        return win32Error("GetSecurityInfo(owner) of the pipe", status);
    }
    const LocalMemory owned(raw);
    if (owner == nullptr) {
        return makeError(exitcode::kGeneric, "the pipe has no owner");
    }
    return sidText(owner);
}

Result<std::string> pipeServerUserSid(void* pipe) {
    ULONG pid = 0;
    if (::GetNamedPipeServerProcessId(pipe, &pid) == FALSE) {
        return win32Error("GetNamedPipeServerProcessId", ::GetLastError());
    }
    OwnedHandle process;
    *process.out() = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (process.get() == nullptr) {
        const DWORD error = ::GetLastError();
        if (error == ERROR_ACCESS_DENIED) {
            return pipeOwnerSid(pipe);
        }
        return win32Error("OpenProcess of the pipe server (pid " + std::to_string(pid) + ")",
                          error);
    }
    OwnedHandle token;
    if (::OpenProcessToken(process.get(), TOKEN_QUERY, token.out()) == FALSE) {
        const DWORD error = ::GetLastError();
        if (error == ERROR_ACCESS_DENIED) {
            return pipeOwnerSid(pipe);
        }
        return win32Error("OpenProcessToken of the pipe server (pid " + std::to_string(pid) + ")",
                          error);
    }
    return tokenUserSid(token.get());
}

} // namespace azcm::platform::windows
