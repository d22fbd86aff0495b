#include "common/ipc/ipc_client.hpp"
#include "common/platform/local_socket.hpp"
#include "common/platform/process_identity.hpp"
#include "temp_dir.hpp"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <gtest/gtest.h>

namespace azcm::platform {
namespace {

TEST(LocalSocket, APathOneByteOverTheLimitIsRefusedBeforeConnecting) {
    EXPECT_EQ(localSocketPathLimit(), 107U); // Linux: a 108-byte field with its NUL
    test::TempDir dir;
    auto pathOfLength = [&](std::size_t length) {
        std::string path = (dir.path() / "s").string();
        path.append(length - path.size(), 'x');
        return std::filesystem::path(path);
    };
    const auto too_long = ipc::call(pathOfLength(localSocketPathLimit() + 1), http::Verb::get,
                                    "/status", {}, std::chrono::seconds(1));
    ASSERT_FALSE(too_long);
    EXPECT_NE(too_long.error().message.find("socket path too long"), std::string::npos);
    // At the limit the name fits: the call fails only because nothing listens there.
    const auto at_limit = ipc::call(pathOfLength(localSocketPathLimit()), http::Verb::get,
                                    "/status", {}, std::chrono::seconds(1));
    ASSERT_FALSE(at_limit);
    EXPECT_EQ(at_limit.error().message.find("socket path too long"), std::string::npos);
}

TEST(LocalSocket, ThePeerIsWhoTheKernelSaysConnected) {
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::socket ours(io);
    boost::asio::local::stream_protocol::socket theirs(io);
    boost::asio::local::connect_pair(ours, theirs);
    auto peer = localPeerOf(ours.native_handle());
    ASSERT_TRUE(peer) << peer.error().message;
    EXPECT_EQ(peer.value().uid, effectiveUserId());
    EXPECT_EQ(peer.value().pid, currentProcessId());
}

} // namespace
} // namespace azcm::platform
