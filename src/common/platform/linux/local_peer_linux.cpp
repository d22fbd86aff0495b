#include "common/platform/accounts.hpp"
#include "common/platform/child_environment.hpp"
#include "common/platform/local_peer.hpp"
#include "common/platform/process_identity.hpp"

#include <algorithm>

namespace azcm::platform {

LocalAccess classifyLocalPeer(const LocalPeer& peer, const LocalAccessPolicy& policy) {
    if (peer.uid == 0 || peer.uid == policy.privileged_uid) {
        return LocalAccess::privileged;
    }
    if (policy.reader_group && (peer.gid == *policy.reader_group ||
                                std::find(peer.groups.begin(), peer.groups.end(),
                                          *policy.reader_group) != peer.groups.end())) {
        return LocalAccess::reader;
    }
    return LocalAccess::none;
}

LocalAccessPolicy localAccessPolicyFromEnvironment() {
    LocalAccessPolicy policy;
    policy.privileged_uid = effectiveUserId();
    const auto sandbox_root = environmentVariable("AZCM_ROOT");
    const auto sandbox_group = environmentVariable("AZCM_TOKEN_GROUP");
    const bool sandboxed = sandbox_root && !sandbox_root->empty();
    if (!sandboxed) {
        policy.reader_group = groupId("himds");
    } else if (sandbox_group && !sandbox_group->empty()) {
        policy.reader_group = groupId(*sandbox_group);
    }
    return policy;
}

LocalAccessPolicy ownAccountPolicy() {
    return LocalAccessPolicy{effectiveUserId(), std::nullopt};
}

std::string describeLocalPeer(const LocalPeer& peer) {
    return "uid:" + std::to_string(peer.uid);
}

std::uint32_t connectionKeyOf(const LocalPeer& peer) {
    return peer.uid;
}

} // namespace azcm::platform
