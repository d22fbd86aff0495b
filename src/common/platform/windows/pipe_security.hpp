#pragma once
// Who may open a daemon's named pipe, and who is at either end of one. The pipe's DACL only
// decides who may connect at all; the daemon decides per route from the connected peer's token
// (classifyPipePeer), the way it uses the kernel's peer credentials on Unix sockets.
#include "common/error.hpp"
#include "common/platform/local_peer.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::platform::windows {

inline constexpr std::string_view kLocalSystemSid = "S-1-5-18";
inline constexpr std::string_view kAdministratorsSid = "S-1-5-32-544";

// FILE_CREATE_PIPE_INSTANCE (the same bit as FILE_APPEND_DATA): whoever holds it on our pipe can
// create another instance of its name, receive some of the clients and read their requests.
inline constexpr std::uint32_t kCreatePipeInstanceRight = 0x0004;
// What a connecting non-administrator gets: FILE_GENERIC_READ | FILE_WRITE_DATA, enough to read
// and write the byte stream, without kCreatePipeInstanceRight, WRITE_DAC or WRITE_OWNER.
inline constexpr std::uint32_t kPipeClientAccess = 0x0012008B;

struct PipeAccessRules {
    // The account the daemon runs as (its token's user SID): owner, full access.
    std::string service_sid;
    // A local group whose members may connect (the installed agent's "Hybrid agent extension
    // applications"); nullopt: none.
    std::optional<std::string> reader_group_sid;
    // Lets every signed-in account connect, so that a route can answer "403" rather than the
    // pipe "access denied"; the daemon still refuses what such a peer may not do.
    bool authenticated_users_may_connect = false;
};

// "S-1-5-32-544": revision 1, an authority and 1 to 15 sub-authorities, decimal without leading
// zeros, which is how Windows prints a SID. Anything else is refused, so that a caller's string
// cannot add an ACE of its own to the SDDL it is pasted into.
bool isSidString(std::string_view text);

// The SDDL of a daemon pipe: owner the service, a protected DACL (nothing inherited) that denies
// network logons, gives SYSTEM, Administrators and the service full access and the optional
// readers kPipeClientAccess.
Result<std::string> pipeSecurityDescriptorSddl(const PipeAccessRules& rules);

// A security descriptor made from SDDL (ConvertStringSecurityDescriptorToSecurityDescriptorW),
// freed when the object goes.
class SecurityDescriptor {
public:
    static Result<SecurityDescriptor> fromSddl(std::string_view sddl);
    // The PSECURITY_DESCRIPTOR, for SECURITY_ATTRIBUTES.
    void* get() const { return descriptor_.get(); }

private:
    struct LocalFreeDeleter {
        void operator()(void* memory) const;
    };
    std::unique_ptr<void, LocalFreeDeleter> descriptor_;
};

// The account and process at the client end of a connected pipe, from its token
// (platform/local_peer.hpp): deny-only groups (such as Administrators in the filtered token of a
// non-elevated administrator) are left out of its groups; a restricted token (restricting SIDs: a
// sandboxed process) runs as a user it may not act for and is never given more than no access.
using PipePeer = LocalPeer;

enum class PipePeerAccess { none, reader, privileged };

// privileged: LocalSystem, the daemon's own account, or an elevated token with Administrators
// enabled; reader: the reader group is among the enabled groups; none: anyone else, and every
// restricted token.
PipePeerAccess classifyPipePeer(const PipePeer& peer,
                                std::string_view server_user_sid,
                                std::optional<std::string_view> reader_group_sid);

// The user, enabled groups and elevation of a token opened with TOKEN_QUERY (`token` is a HANDLE).
Result<PipePeer> peerFromToken(void* token);

// The user SID of this process's token: the daemon's own account.
Result<std::string> currentProcessUserSid();

// Server end: the client's identity, from its token as captured when it opened the pipe
// (ImpersonateNamedPipeClient; the thread always reverts). Needs no rights on the client's
// process and cannot be confused by a reused process id. `pid` is
// GetNamedPipeClientProcessId's, for logs only.
Result<PipePeer> pipeClientPeer(void* pipe);

// Client end: the user SID of the process serving the pipe (GetNamedPipeServerProcessId, its
// token). Where this process may not open that process's token (an unprivileged client of a
// LocalSystem service), the owner SID of the pipe instead: Windows lets a creator name as owner
// only its own user or a group it holds as owner, so another unprivileged account cannot claim
// the service's SID either way.
Result<std::string> pipeServerUserSid(void* pipe);

// The owner SID of a pipe's security descriptor (needs READ_CONTROL on the handle).
Result<std::string> pipeOwnerSid(void* pipe);

} // namespace azcm::platform::windows
