#pragma once
// Who may use a daemon's control channel (docs/architecture.md). Every local account can reach
// it (the socket files are 0666; the pipes admit every authenticated user); the daemon decides per
// route from what the operating system says of the peer, never from the request: privileged
// (every route), reader (read-only status and lists) or none (403). The identities and the
// decision are the platform's (platform/local_peer.hpp).
#include "common/http/http_types.hpp"
#include "common/platform/local_peer.hpp"

namespace azcm::ipc {

using PeerAccess = platform::LocalAccess;
using ControlAccessPolicy = platform::LocalAccessPolicy;

// The policy of an installed daemon or of a sandbox (AZCM_ROOT, AZCM_TOKEN_GROUP).
ControlAccessPolicy controlAccessPolicyFromEnvironment();

// none for a peer of anything but the local control channel.
PeerAccess peerAccess(const http::PeerInfo& peer, const ControlAccessPolicy& policy);

} // namespace azcm::ipc
