#include "common/platform/child_environment.hpp"
#include "common/platform/local_peer.hpp"
#include "common/platform/windows/account_sid.hpp"
#include "common/platform/windows/pipe_security.hpp"

#include <spdlog/spdlog.h>

namespace azcm::platform {

namespace {

// A reader group that cannot be resolved reads nothing: fail closed, and say so once.
std::optional<std::string> readerGroupSid(const std::string& name) {
    auto sid = windows::accountSid(name);
    if (!sid) {
        spdlog::warn("IPC_READER_GROUP_UNRESOLVED group=\"{}\" error={}", name,
                     sid.error().message);
        return std::nullopt;
    }
    return std::move(sid).value();
}

} // namespace

LocalAccess classifyLocalPeer(const LocalPeer& peer, const LocalAccessPolicy& policy) {
    std::optional<std::string_view> reader;
    if (policy.reader_group_sid) {
        reader = *policy.reader_group_sid;
    }
    switch (windows::classifyPipePeer(peer, policy.service_sid, reader)) {
    case windows::PipePeerAccess::privileged:
        return LocalAccess::privileged;
    case windows::PipePeerAccess::reader:
        return LocalAccess::reader;
    case windows::PipePeerAccess::none:
        break;
    }
    return LocalAccess::none;
}

LocalAccessPolicy ownAccountPolicy() {
    LocalAccessPolicy policy;
    // Unknown own account: only LocalSystem and elevated administrators are privileged.
    if (auto self = windows::currentProcessUserSid()) {
        policy.service_sid = std::move(self).value();
    }
    return policy;
}

LocalAccessPolicy localAccessPolicyFromEnvironment() {
    LocalAccessPolicy policy = ownAccountPolicy();
    const auto sandbox_root = environmentVariable("AZCM_ROOT");
    const auto sandbox_group = environmentVariable("AZCM_TOKEN_GROUP");
    const bool sandboxed = sandbox_root && !sandbox_root->empty();
    if (!sandboxed) {
        policy.reader_group_sid = readerGroupSid(windows::kReaderGroupName);
    } else if (sandbox_group && !sandbox_group->empty()) {
        policy.reader_group_sid = readerGroupSid(*sandbox_group);
    }
    return policy;
}

std::string describeLocalPeer(const LocalPeer& peer) {
    return peer.user_sid;
}

std::uint32_t connectionKeyOf(const LocalPeer& peer) {
    // FNV-1a: stable across runs, no secret needed (the key only groups connections).
    std::uint32_t hash = 2166136261U;
    for (const char c : peer.user_sid) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 16777619U;
    }
    return hash;
}

} // namespace azcm::platform
