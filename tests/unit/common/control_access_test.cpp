// Who may use a daemon's control socket (docs/architecture.md; ipc/control_access.hpp).
#include "common/ipc/control_access.hpp"
#include "common/platform/accounts.hpp"

#include <gtest/gtest.h>

namespace azcm::ipc {
namespace {

http::PeerInfo unixPeer(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
    http::PeerInfo peer;
    peer.uid = uid;
    peer.local = platform::LocalPeer{uid, gid, 4321, std::move(groups)};
    return peer;
}

constexpr uid_t kDaemonUid = 990;
constexpr gid_t kReaderGroup = 991;
const ControlAccessPolicy kPolicy{kDaemonUid, kReaderGroup};

TEST(ControlAccess, RootAndTheDaemonsOwnUserArePrivileged) {
    EXPECT_EQ(peerAccess(unixPeer(0, 0), kPolicy), PeerAccess::privileged);
    EXPECT_EQ(peerAccess(unixPeer(kDaemonUid, 5), kPolicy), PeerAccess::privileged);
}

TEST(ControlAccess, ReaderGroupAsPrimaryOrSupplementaryGroupReads) {
    EXPECT_EQ(peerAccess(unixPeer(1000, kReaderGroup), kPolicy), PeerAccess::reader);
    EXPECT_EQ(peerAccess(unixPeer(1000, 1000, {27, kReaderGroup}), kPolicy), PeerAccess::reader);
}

TEST(ControlAccess, EveryoneElseGetsNothing) {
    EXPECT_EQ(peerAccess(unixPeer(1000, 1000, {27, 100}), kPolicy), PeerAccess::none);
    EXPECT_EQ(peerAccess(unixPeer(65534, 65534), kPolicy), PeerAccess::none);
}

TEST(ControlAccess, WithoutAReaderGroupOnlyPrivilegedPeersGetIn) {
    const ControlAccessPolicy no_readers{kDaemonUid, std::nullopt};
    EXPECT_EQ(peerAccess(unixPeer(1000, kReaderGroup, {kReaderGroup}), no_readers),
              PeerAccess::none);
    EXPECT_EQ(peerAccess(unixPeer(kDaemonUid, 1), no_readers), PeerAccess::privileged);
}

// A TCP peer has no kernel credentials: it can claim nothing.
TEST(ControlAccess, PeerWithoutCredentialsGetsNothing) {
    http::PeerInfo tcp_peer;
    tcp_peer.remote_address = "127.0.0.1:5000";
    EXPECT_EQ(peerAccess(tcp_peer, kPolicy), PeerAccess::none);
}

// The owner of a loopback TCP client (the connection limits' key) is no control-channel identity:
// even root's TCP connection claims nothing here.
TEST(ControlAccess, TcpPeerWithAKnownOwnerGetsNothing) {
    http::PeerInfo tcp_peer;
    tcp_peer.uid = 0;
    tcp_peer.remote_address = "127.0.0.1:5000";
    EXPECT_EQ(peerAccess(tcp_peer, kPolicy), PeerAccess::none);
}

TEST(ControlAccess, GroupIdResolvesExistingGroupsOnly) {
    EXPECT_EQ(platform::groupId("root"), std::optional<platform::GroupId>(0));
    EXPECT_FALSE(platform::groupId("no-such-group-azcm-test"));
}

} // namespace
} // namespace azcm::ipc
