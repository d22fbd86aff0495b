// The control channel on Windows end to end: the daemons' HTTP server listening on a named pipe
// (platform::LocalListener) and the CLI's IPC client calling it, with both ends' identity checks,
// under wine.
#include "common/http/http_server.hpp"
#include "common/ipc/control_access.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/platform/socket_owner.hpp"
#include "common/platform/windows/local_pipe_name.hpp"
#include "common/platform/windows/pipe_security.hpp"
#include "io_thread.hpp"
#include "temp_dir.hpp"
#include "under_wine.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm {
namespace {

using http::test::IoThread;

using test::underWine;

// Answers who called, and what the daemon's policy lets that caller do.
void whoCalled(http::Request&&, const http::PeerInfo& peer, const http::Respond& respond) {
    const auto access = ipc::peerAccess(peer, ipc::controlAccessPolicyFromEnvironment());
    nlohmann::json body = {
        {"sid", peer.local ? peer.local->user_sid : std::string()},
        {"pid", peer.local ? peer.local->pid : 0},
        {"privileged", access == ipc::PeerAccess::privileged},
        {"slot_key", peer.uid ? static_cast<long long>(*peer.uid) : -1},
    };
    http::Response response{http::Status::ok, 11};
    response.set(http::Field::content_type, "application/json");
    response.body() = body.dump();
    response.prepare_payload();
    respond(std::move(response));
}

TEST(ControlChannelWindows, CallReachesTheDaemonOverAPipeAndTheDaemonKnowsTheCaller) {
    test::TempDir dir;
    const auto endpoint = dir.path() / "himds.sock";
    IoThread io;
    http::HttpServer server(io.executor(), whoCalled);
    auto listening = io.run([&] { return server.listenLocal(endpoint, 0666); });
    ASSERT_TRUE(listening) << listening.error().message;

    auto response = ipc::call(endpoint, http::Verb::get, "/status");
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result(), http::Status::ok);
    const auto body = nlohmann::json::parse(response.value().body());
    const auto self = platform::windows::currentProcessUserSid();
    ASSERT_TRUE(self);
    EXPECT_EQ(body["sid"], self.value());
    EXPECT_EQ(body["pid"], static_cast<int>(::GetCurrentProcessId()));
    // The daemon's own account is privileged.
    EXPECT_TRUE(body["privileged"].get<bool>());
    EXPECT_NE(body["slot_key"], -1);

    io.run([&] {
        server.stop();
        return 0;
    });
}

TEST(ControlChannelWindows, NobodyServingIsUnreachable) {
    test::TempDir dir;
    auto response = ipc::call(dir.path() / "gcservice.sock", http::Verb::get, "/status", {},
                              std::chrono::seconds(2));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kHimdsUnreachable) << response.error().message;
}

TEST(ControlChannelWindows, AStoppedServerGivesItsPipeNameBack) {
    test::TempDir dir;
    const auto endpoint = dir.path() / "extservice.sock";
    IoThread io;
    {
        http::HttpServer first(io.executor(), whoCalled);
        ASSERT_TRUE(io.run([&] { return first.listenLocal(endpoint, 0666); }));
        io.run([&] {
            first.stop();
            return 0;
        });
    }
    http::HttpServer second(io.executor(), whoCalled);
    auto again = io.run([&] { return second.listenLocal(endpoint, 0666); });
    EXPECT_TRUE(again) << again.error().message;
    io.run([&] {
        second.stop();
        return 0;
    });
}

// IMDS counts loopback callers per account: the owner of the client's socket, from the TCP table
// and the owning process's token, keyed as the control channel keys its peers.
TEST(SocketOwnerWindows, LoopbackClientIsKeyedByItsAccount) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    boost::asio::ip::tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    auto served = acceptor.accept();
    platform::SocketOwnerLookup lookup;
    auto owner = lookup.peerUid(served.local_endpoint(), served.remote_endpoint());
    if (underWine()) {
        // wine's TCP table finds the socket but names no owning process (pid 0): the lookup says
        // it cannot tell, and the connection limits fall back to their total (connection_slots).
        ASSERT_FALSE(owner);
        EXPECT_NE(owner.error().message.find("no process"), std::string::npos)
            << owner.error().message;
        return;
    }
    ASSERT_TRUE(owner) << owner.error().message;
    ASSERT_TRUE(owner.value());
    platform::LocalPeer self;
    self.user_sid = platform::windows::currentProcessUserSid().value();
    EXPECT_EQ(*owner.value(), platform::connectionKeyOf(self));

    // A pair no socket has: nobody.
    auto nobody =
        lookup.peerUid(served.local_endpoint(), {boost::asio::ip::make_address("127.0.0.1"), 1});
    ASSERT_TRUE(nobody) << nobody.error().message;
    EXPECT_FALSE(nobody.value());
}

// Both ends derive one pipe from one endpoint however it is spelled; two sandboxes never share.
TEST(LocalPipeName, OneNamePerEndpointWhateverItsSpelling) {
    using platform::windows::localPipeName;
    const auto name = localPipeName("C:\\ProgramData\\AzureConnectedMachineAgent\\himds.sock");
    EXPECT_EQ(name.rfind("azcmagent-himds-", 0), 0U) << name;
    EXPECT_EQ(name.size(), std::string("azcmagent-himds-").size() + 8);
    EXPECT_EQ(localPipeName("c:/programdata/azureconnectedmachineagent/./himds.sock"), name);
    EXPECT_NE(localPipeName("C:\\sandbox-a\\himds.sock"),
              localPipeName("C:\\sandbox-b\\himds.sock"));
    // Only letters, digits, '-' and '_' come from the file name.
    const auto odd = localPipeName("C:\\x\\a b\\c.sock");
    EXPECT_EQ(odd.find(' '), std::string::npos);
    EXPECT_EQ(localPipeName("C:\\x\\we ird.sock").rfind("azcmagent-we_ird-", 0), 0U);
}

} // namespace
} // namespace azcm
