#pragma once
// Who is at the other end of a local control connection, as the operating system reports it
// (never as the peer says), and what the daemon lets it do (docs/architecture.md):
//   privileged  the administrator (root; LocalSystem or an elevated Administrators token) or the
//               daemon's own account: every route;
//   reader      a member of the reader group (Linux: `himds`; Windows: "Hybrid agent extension
//               applications"; a sandbox: AZCM_TOKEN_GROUP): read-only status and lists;
//   none        anyone else: refused with 403 (which still tells `azcmagent show` the daemon runs).
// The identities differ per system (uids and gids; SIDs), so the policy and the decision live
// here, behind the seam.
#include "common/platform/os_types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace azcm::platform {

#if defined(_WIN32)
struct LocalPeer {
    std::string user_sid;                // "S-1-5-18"
    std::vector<std::string> group_sids; // enabled groups only, never deny-only ones
    bool elevated = false;               // a full administrator token, not a filtered one
    bool restricted = false;             // a restricted token: never more than `none`
    ProcessId pid = 0;
};

struct LocalAccessPolicy {
    std::string service_sid; // the daemon's own account; LocalSystem is always privileged
    std::optional<std::string> reader_group_sid; // nullopt: only privileged peers
};
#else
struct LocalPeer {
    UserId uid = 0;
    GroupId gid = 0;
    ProcessId pid = 0;
    // Supplementary groups as they were at connect(); empty where the kernel cannot tell
    // (Linux before 4.13): group-based access then rests on `gid` alone, failing closed.
    std::vector<GroupId> groups;
};

struct LocalAccessPolicy {
    UserId privileged_uid = 0;           // the daemon's own user; root is always privileged
    std::optional<GroupId> reader_group; // nullopt: no group reads, only privileged peers
};
#endif

enum class LocalAccess { none, reader, privileged };

LocalAccess classifyLocalPeer(const LocalPeer& peer, const LocalAccessPolicy& policy);

// The policy of an installed daemon (its own account, the reader group if it exists) or of a
// sandbox (AZCM_ROOT set: its own account, AZCM_TOKEN_GROUP if set).
LocalAccessPolicy localAccessPolicyFromEnvironment();

// The daemon's own account (and the administrator) privileged, no reader group: what a daemon
// grants when it is not told otherwise.
LocalAccessPolicy ownAccountPolicy();

// For logs: "uid:1000" or the SID.
std::string describeLocalPeer(const LocalPeer& peer);

// The key the connection limits count this peer's connections under: its uid on Linux; on
// Windows a 32-bit digest of its SID (two accounts whose digests collide share one budget).
std::uint32_t connectionKeyOf(const LocalPeer& peer);

} // namespace azcm::platform
