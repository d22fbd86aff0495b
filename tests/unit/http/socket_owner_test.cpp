// The kernel's answer to "who owns the client end of this loopback connection", on real sockets:
// both ways of asking (netlink, the /proc table), IPv4 and IPv6, and a connection that is gone.
#include "common/platform/socket_owner.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

namespace azcm::platform {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Method = SocketOwnerLookup::Method;

// A connected pair on loopback: the server's accepted socket and the client's.
struct Connection {
    explicit Connection(const asio::ip::address& loopback)
        : acceptor(io, tcp::endpoint(loopback, 0)), client(io), server(io) {
        client.connect(acceptor.local_endpoint());
        acceptor.accept(server);
    }
    tcp::endpoint local() const { return server.local_endpoint(); }
    tcp::endpoint peer() const { return server.remote_endpoint(); }

    asio::io_context io;
    tcp::acceptor acceptor;
    tcp::socket client;
    tcp::socket server;
};

bool hasIpv6Loopback() {
    asio::io_context io;
    boost::system::error_code ec;
    tcp::acceptor acceptor(io);
    acceptor.open(tcp::v6(), ec);
    if (!ec) {
        acceptor.bind({asio::ip::address_v6::loopback(), 0}, ec);
    }
    return !ec;
}

class SocketOwnerTest : public ::testing::TestWithParam<Method> {};

TEST_P(SocketOwnerTest, FindsTheOwnerOfAnIpv4Client) {
    Connection connection(asio::ip::address_v4::loopback());
    SocketOwnerLookup lookup(GetParam());
    const auto owner = lookup.peerUid(connection.local(), connection.peer());
    ASSERT_TRUE(owner) << owner.error().message;
    ASSERT_TRUE(owner.value().has_value());
    EXPECT_EQ(*owner.value(), ::geteuid());
}

TEST_P(SocketOwnerTest, FindsTheOwnerOfAnIpv6Client) {
    if (!hasIpv6Loopback()) {
        GTEST_SKIP() << "no IPv6 on loopback here";
    }
    Connection connection(asio::ip::address_v6::loopback());
    SocketOwnerLookup lookup(GetParam());
    const auto owner = lookup.peerUid(connection.local(), connection.peer());
    ASSERT_TRUE(owner) << owner.error().message;
    ASSERT_TRUE(owner.value().has_value());
    EXPECT_EQ(*owner.value(), ::geteuid());
}

TEST_P(SocketOwnerTest, AClosedClientHasNoOwner) {
    Connection connection(asio::ip::address_v4::loopback());
    const auto local = connection.local();
    const auto peer = connection.peer();
    // The client closes first: what is left of its socket (FIN_WAIT2, then TIME_WAIT) is owned
    // by nobody, and must not read as uid 0.
    connection.client.close();
    char byte = 0;
    boost::system::error_code ec;
    connection.server.read_some(asio::buffer(&byte, 1), ec); // its FIN arrived
    ASSERT_EQ(ec, asio::error::eof);
    SocketOwnerLookup lookup(GetParam());
    const auto owner = lookup.peerUid(local, peer);
    ASSERT_TRUE(owner) << owner.error().message;
    EXPECT_FALSE(owner.value().has_value()) << *owner.value();
}

TEST_P(SocketOwnerTest, AnUnknownPairHasNoOwner) {
    Connection connection(asio::ip::address_v4::loopback());
    SocketOwnerLookup lookup(GetParam());
    const tcp::endpoint nobody(asio::ip::address_v4::loopback(), 1); // no client uses port 1
    const auto owner = lookup.peerUid(connection.local(), nobody);
    ASSERT_TRUE(owner) << owner.error().message;
    EXPECT_FALSE(owner.value().has_value());
}

INSTANTIATE_TEST_SUITE_P(BothMethods,
                         SocketOwnerTest,
                         ::testing::Values(Method::kNetlink, Method::kProcNet),
                         [](const ::testing::TestParamInfo<Method>& case_info) {
                             return case_info.param == Method::kNetlink ? std::string("Netlink")
                                                                        : std::string("ProcNet");
                         });

TEST(SocketOwner, MixedAddressFamiliesAreAnError) {
    SocketOwnerLookup lookup;
    const auto owner = lookup.peerUid({asio::ip::address_v4::loopback(), 80},
                                      {asio::ip::address_v6::loopback(), 80});
    EXPECT_FALSE(owner);
}

} // namespace
} // namespace azcm::platform
