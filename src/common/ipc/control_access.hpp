#pragma once
// Who may use a daemon's control socket (docs/architecture.md). The socket files are 0666 so
// every local user can reach them; the daemon decides per route from the peer's credentials,
// which the kernel gives for the connected socket, never the request:
//   privileged  root or the daemon's own user: every route;
//   reader      a member of the reader group (installed: `himds`; a sandbox: AZCM_TOKEN_GROUP):
//               read-only status and lists;
//   none        anyone else: refused with 403 (which still tells `azcmagent show` the daemon runs).
#include "common/http/http_types.hpp"
#include "common/platform/os_types.hpp"

#include <optional>
#include <string>

namespace azcm::ipc {

enum class PeerAccess { none, reader, privileged };

struct ControlAccessPolicy {
    platform::UserId privileged_uid = 0; // the daemon's own user; root is always privileged
    std::optional<platform::GroupId> reader_group; // nullopt: no group reads, only privileged peers
};

// The policy of an installed daemon (its euid, group himds if it exists) or of a sandbox
// (AZCM_ROOT set: its euid, AZCM_TOKEN_GROUP if set).
ControlAccessPolicy controlAccessPolicyFromEnvironment();

PeerAccess peerAccess(const http::PeerInfo& peer, const ControlAccessPolicy& policy);

} // namespace azcm::ipc
