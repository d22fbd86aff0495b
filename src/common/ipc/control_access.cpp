#include "common/ipc/control_access.hpp"

namespace azcm::ipc {

ControlAccessPolicy controlAccessPolicyFromEnvironment() {
    return platform::localAccessPolicyFromEnvironment();
}

PeerAccess peerAccess(const http::PeerInfo& peer, const ControlAccessPolicy& policy) {
    if (!peer.local) {
        return PeerAccess::none; // not a local channel peer: nothing the system vouches for
    }
    return platform::classifyLocalPeer(*peer.local, policy);
}

} // namespace azcm::ipc
