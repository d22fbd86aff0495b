#include "common/ipc/control_access.hpp"

#include "common/platform/accounts.hpp"
#include "common/platform/child_environment.hpp"
#include "common/platform/process_identity.hpp"

#include <algorithm>
#include <vector>

namespace azcm::ipc {

ControlAccessPolicy controlAccessPolicyFromEnvironment() {
    ControlAccessPolicy policy;
    policy.privileged_uid = platform::effectiveUserId();
    const auto sandbox_root = platform::environmentVariable("AZCM_ROOT");
    const auto sandbox_group = platform::environmentVariable("AZCM_TOKEN_GROUP");
    const bool sandboxed = sandbox_root && !sandbox_root->empty();
    if (!sandboxed) {
        policy.reader_group = platform::groupId("himds");
    } else if (sandbox_group && !sandbox_group->empty()) {
        policy.reader_group = platform::groupId(*sandbox_group);
    }
    return policy;
}

PeerAccess peerAccess(const http::PeerInfo& peer, const ControlAccessPolicy& policy) {
    if (!peer.uid) {
        return PeerAccess::none; // not a Unix socket peer: no kernel credentials
    }
    if (*peer.uid == 0 || *peer.uid == policy.privileged_uid) {
        return PeerAccess::privileged;
    }
    if (policy.reader_group && ((peer.gid && *peer.gid == *policy.reader_group) ||
                                std::find(peer.groups.begin(), peer.groups.end(),
                                          *policy.reader_group) != peer.groups.end())) {
        return PeerAccess::reader;
    }
    return PeerAccess::none;
}

} // namespace azcm::ipc
