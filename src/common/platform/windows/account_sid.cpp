#include "common/platform/windows/account_sid.hpp"

#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <charconv>
#include <memory>
#include <vector>

#include <windows.h>
// after windows.h, whose types they use
#include <ntsecapi.h>
#include <sddl.h>

namespace azcm::platform::windows {

namespace {

struct FoundAccount {
    std::string sid;
    SID_NAME_USE use{};
};

Result<std::optional<FoundAccount>> lookUpAccount(const std::string& name) {
    BOOST_OUTCOME_TRY(wide_name, toWide(name));
    DWORD sid_size = 0;
    DWORD domain_size = 0;
    SID_NAME_USE use{};
    // First call: the sizes, or ERROR_NONE_MAPPED when nobody has that name.
    ::LookupAccountNameW(nullptr, wide_name.c_str(), nullptr, &sid_size, nullptr, &domain_size,
                         &use);
    const DWORD first_error = ::GetLastError();
    if (first_error == ERROR_NONE_MAPPED) {
        return std::optional<FoundAccount>();
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
    return std::optional<FoundAccount>(FoundAccount{std::move(utf8), use});
}

} // namespace

Result<std::optional<std::string>> accountSid(const std::string& name) {
    BOOST_OUTCOME_TRY(found, lookUpAccount(name));
    if (!found) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(std::move(found->sid));
}

Result<std::optional<std::string>> localGroupSid(const std::string& name) {
    BOOST_OUTCOME_TRY(found, lookUpAccount(name));
    if (!found || found->use != SidTypeAlias) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(std::move(found->sid));
}

Result<std::string> accountDomainSid() {
    LSA_OBJECT_ATTRIBUTES attributes{};
    LSA_HANDLE policy = nullptr;
    NTSTATUS status = ::LsaOpenPolicy(nullptr, &attributes, POLICY_VIEW_LOCAL_INFORMATION, &policy);
    if (status != 0) {
        return win32Error("LsaOpenPolicy", ::LsaNtStatusToWinError(status));
    }
    void* information = nullptr;
    status = ::LsaQueryInformationPolicy(policy, PolicyAccountDomainInformation, &information);
    ::LsaClose(policy);
    if (status != 0) {
        return win32Error("LsaQueryInformationPolicy(account domain)",
                          ::LsaNtStatusToWinError(status));
    }
    const std::unique_ptr<void, decltype(&::LsaFreeMemory)> owned(information, &::LsaFreeMemory);
    const auto* domain = static_cast<const POLICY_ACCOUNT_DOMAIN_INFO*>(information);
    if (domain->DomainSid == nullptr) {
        return makeError(exitcode::kGeneric, "this machine has no account domain SID");
    }
    wchar_t* text = nullptr;
    if (::ConvertSidToStringSidW(domain->DomainSid, &text) == FALSE) {
        return win32Error("ConvertSidToStringSid", ::GetLastError());
    }
    const LocalMemory owned_text(text);
    return toUtf8(text);
}

std::optional<std::uint32_t> relativeIdIn(const std::string& sid, const std::string& domain_sid) {
    const std::string prefix = domain_sid + "-";
    if (domain_sid.empty() || sid.size() <= prefix.size() ||
        sid.compare(0, prefix.size(), prefix) != 0) {
        return std::nullopt;
    }
    const char* first = sid.data() + prefix.size();
    const char* last = sid.data() + sid.size();
    std::uint32_t rid = 0;
    const auto [end, error] = std::from_chars(first, last, rid);
    if (error != std::errc() || end != last) {
        return std::nullopt;
    }
    return rid;
}

} // namespace azcm::platform::windows
