#include "ipc/control_access.hpp"

#include "platform/accounts.hpp"
#include "platform/process_identity.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace azcm::ipc {

ControlAccessPolicy controlAccessPolicyFromEnvironment() {
    ControlAccessPolicy policy;
    policy.privileged_uid = platform::effectiveUserId();
    // NOLINTBEGIN(concurrency-mt-unsafe): read once at start-up, before any thread exists
    const char* sandbox_root = std::getenv("AZCM_ROOT");
    const char* sandbox_group = std::getenv("AZCM_TOKEN_GROUP");
    // NOLINTEND(concurrency-mt-unsafe)
    const bool sandboxed = sandbox_root != nullptr && *sandbox_root != '\0';
    if (!sandboxed) {
        policy.reader_group = platform::groupId("himds");
    } else if (sandbox_group != nullptr && *sandbox_group != '\0') {
        policy.reader_group = platform::groupId(sandbox_group);
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
