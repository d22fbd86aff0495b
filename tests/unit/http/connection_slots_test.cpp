// Admission of connections by ConnectionSlots, without sockets: totals, per-uid bounds, which
// connection is evicted, bounded refusals, and when the kernel is asked who a peer is.
#include "common/http/connection_slots.hpp"

#include <gtest/gtest.h>

namespace azcm::http {
namespace {

using tcp = boost::asio::ip::tcp;

// Counts the evictions of one connection.
struct Evictions {
    std::shared_ptr<int> count = std::make_shared<int>(0);
    std::function<void()> callback() const {
        return [count = count] { ++*count; };
    }
};

TEST(ConnectionSlots, UidAtItsBoundEvictsItsOwnLongestIdleConnection) {
    auto slots = ConnectionSlots::create("test", {10, 2, std::chrono::seconds(1)});
    Evictions first;
    Evictions second;
    Evictions other;
    auto a1 = slots->admit(7, first.callback());
    auto a2 = slots->admit(7, second.callback());
    auto b1 = slots->admit(8, other.callback());
    ASSERT_TRUE(a1.slot && a2.slot && b1.slot);
    b1.slot->setIdle(true); // idle longest, but another uid's
    a2.slot->setIdle(true);
    a1.slot->setIdle(true);
    auto a3 = slots->admit(7, {});
    ASSERT_TRUE(a3.slot);
    EXPECT_EQ(*second.count, 1);
    EXPECT_EQ(*first.count, 0);
    EXPECT_EQ(*other.count, 0);
    EXPECT_EQ(slots->openFor(7), 2U);
    EXPECT_EQ(slots->evicted(), 1U);
    // The evicted connection's slot was handed on: releasing it later frees nothing more.
    a2.slot.reset();
    EXPECT_EQ(slots->openFor(7), 2U);
    EXPECT_EQ(slots->open(), 3U);
}

TEST(ConnectionSlots, UidAtItsBoundWithoutIdleConnectionsIsRefused) {
    auto slots = ConnectionSlots::create("test", {10, 2, std::chrono::seconds(4)});
    auto a1 = slots->admit(7, {});
    auto a2 = slots->admit(7, {});
    const auto refused = slots->admit(7, {});
    EXPECT_FALSE(refused.slot);
    EXPECT_TRUE(refused.refusal);
    EXPECT_EQ(refused.retry_after, std::chrono::seconds(4));
    EXPECT_TRUE(slots->admit(8, {}).slot);
}

TEST(ConnectionSlots, FullListenerEvictsTheLongestIdleConnectionOfAnyUid) {
    auto slots = ConnectionSlots::create("test", {3, 0, std::chrono::seconds(1)});
    Evictions busy;
    Evictions idle_first;
    Evictions idle_later;
    auto c1 = slots->admit(1, busy.callback());
    auto c2 = slots->admit(2, idle_later.callback());
    auto c3 = slots->admit(3, idle_first.callback());
    c3.slot->setIdle(true);
    c2.slot->setIdle(true);
    EXPECT_TRUE(slots->admit(4, {}).slot);
    EXPECT_EQ(*idle_first.count, 1);
    EXPECT_EQ(*idle_later.count, 0);
    EXPECT_EQ(*busy.count, 0);
}

TEST(ConnectionSlots, AConnectionThatTurnedBusyAgainIsNotEvicted) {
    auto slots = ConnectionSlots::create("test", {1, 0, std::chrono::seconds(1)});
    Evictions evictions;
    auto only = slots->admit(1, evictions.callback());
    only.slot->setIdle(true);
    only.slot->setIdle(false); // its next request arrived
    EXPECT_FALSE(slots->admit(2, {}).slot);
    EXPECT_EQ(*evictions.count, 0);
}

TEST(ConnectionSlots, RefusalsAnsweredAtOnceAreBounded) {
    auto slots = ConnectionSlots::create("test", {1, 0, std::chrono::seconds(1)});
    auto held = slots->admit(std::nullopt, {});
    std::vector<ConnectionSlots::Admission> refused;
    for (std::uint32_t i = 0; i < ConnectionSlots::kMaxAnsweredRefusals; ++i) {
        refused.push_back(slots->admit(std::nullopt, {}));
        ASSERT_TRUE(refused.back().refusal) << i;
    }
    EXPECT_FALSE(slots->admit(std::nullopt, {}).refusal) << "closed unanswered";
    refused.pop_back();
    EXPECT_TRUE(slots->admit(std::nullopt, {}).refusal);
}

TEST(ConnectionSlots, ReleasedSlotsAreFreeAgain) {
    auto slots = ConnectionSlots::create("test", {1, 1, std::chrono::seconds(1)});
    {
        auto first = slots->admit(5, {});
        ASSERT_TRUE(first.slot);
        EXPECT_FALSE(slots->admit(5, {}).slot);
    }
    EXPECT_EQ(slots->open(), 0U);
    EXPECT_EQ(slots->openFor(5), 0U);
    EXPECT_TRUE(slots->admit(5, {}).slot);
}

TEST(ConnectionSlots, TheKernelIsAskedOnlyForLoopbackPeersWithAPerUidBound) {
    auto asked = std::make_shared<int>(0);
    PeerUidLookup lookup = [asked](const tcp::endpoint&,
                                   const tcp::endpoint&) -> Result<std::optional<std::uint32_t>> {
        ++*asked;
        return std::optional<std::uint32_t>(42);
    };
    const tcp::endpoint local(boost::asio::ip::make_address("127.0.0.1"), 40342);
    const tcp::endpoint loopback(boost::asio::ip::make_address("127.0.0.1"), 50000);
    const tcp::endpoint remote(boost::asio::ip::make_address("192.0.2.1"), 50000);

    auto unbounded = ConnectionSlots::create("test", {10, 0, std::chrono::seconds(1)}, lookup);
    EXPECT_FALSE(unbounded->identifyTcpPeer(local, loopback).uid);
    EXPECT_EQ(*asked, 0);

    auto bounded = ConnectionSlots::create("test", {10, 2, std::chrono::seconds(1)}, lookup);
    EXPECT_FALSE(bounded->identifyTcpPeer(local, remote).uid);
    EXPECT_EQ(*asked, 0);
    const auto peer = bounded->identifyTcpPeer(local, loopback);
    EXPECT_EQ(peer.uid, std::optional<std::uint32_t>(42));
    EXPECT_FALSE(peer.gone);
    EXPECT_EQ(*asked, 1);
}

TEST(ConnectionSlots, GoneAndUnaskablePeers) {
    const tcp::endpoint local(boost::asio::ip::make_address("::1"), 40342);
    const tcp::endpoint peer(boost::asio::ip::make_address("::1"), 50000);
    auto gone = ConnectionSlots::create(
        "test", {10, 2, std::chrono::seconds(1)},
        [](const tcp::endpoint&, const tcp::endpoint&) -> Result<std::optional<std::uint32_t>> {
            return std::optional<std::uint32_t>();
        });
    EXPECT_TRUE(gone->identifyTcpPeer(local, peer).gone);
    // The kernel cannot be asked: the peer is counted in the total only, never as some uid.
    auto unaskable = ConnectionSlots::create(
        "test", {10, 2, std::chrono::seconds(1)},
        [](const tcp::endpoint&, const tcp::endpoint&) -> Result<std::optional<std::uint32_t>> {
            return makeError(exitcode::kGeneric, "netlink refused");
        });
    const auto unknown = unaskable->identifyTcpPeer(local, peer);
    EXPECT_FALSE(unknown.gone);
    EXPECT_FALSE(unknown.uid);
}

} // namespace
} // namespace azcm::http
