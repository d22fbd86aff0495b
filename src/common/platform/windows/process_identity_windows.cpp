// process_identity.hpp on Windows: elevation is the token's elevation (an administrator's
// process under UAC is not elevated until it is started "as administrator"), not membership in
// the Administrators group.
#include "common/platform/process_identity.hpp"
#include "common/platform/windows/nt_files.hpp"

#include <limits>

#include <windows.h>

namespace azcm::platform {

bool isElevated() {
    windows::OwnedHandle token;
    if (::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, token.out()) == FALSE) {
        return false; // fail closed: an unknown elevation is no elevation
    }
    TOKEN_ELEVATION elevation{};
    DWORD returned = 0;
    if (::GetTokenInformation(token.get(), TokenElevation, &elevation, sizeof elevation,
                              &returned) == FALSE) {
        return false;
    }
    return elevation.TokenIsElevated != 0;
}

// Windows accounts are SIDs, which a 32-bit number cannot hold (a relative id alone repeats
// across domains and the local machine). The value is the one POSIX reserves for "no account"
// ((uid_t)-1): it is never the id of a real account, so a comparison with one never succeeds.
UserId effectiveUserId() {
    return std::numeric_limits<UserId>::max();
}

ProcessId currentProcessId() {
    return static_cast<ProcessId>(::GetCurrentProcessId());
}

} // namespace azcm::platform
