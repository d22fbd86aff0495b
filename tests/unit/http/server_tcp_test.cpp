#include "common/http/http_server.hpp"
#include "io_thread.hpp"
#include "raw_client.hpp"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

namespace azcm::http {
namespace {

using test::IoThread;
using test::makeRequest;
using test::RawClient;

// Echoes method, target and body; counts requests.
struct EchoHandler {
    std::shared_ptr<std::atomic<int>> count = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<PeerInfo> last_peer = std::make_shared<PeerInfo>();

    void operator()(Request&& request, const PeerInfo& peer, const Respond& respond) const {
        ++*count;
        *last_peer = peer;
        const std::string body = std::string(request.method_string()) + " " +
                                 std::string(request.target()) + " " + request.body();
        respond(makeTextResponse(request, Status::ok, body));
    }
};

// Stands in for the kernel: clients are told apart by their loopback source address, 127.0.0.N
// being uid 1000+N.
PeerUidLookup uidBySourceAddress() {
    return [](const boost::asio::ip::tcp::endpoint&,
              const boost::asio::ip::tcp::endpoint& peer) -> Result<std::optional<std::uint32_t>> {
        return std::optional<std::uint32_t>(1000U + peer.address().to_v4().to_bytes()[3]);
    };
}

class ServerTcpTest : public ::testing::Test {
protected:
    std::uint16_t start(Handler handler, ServerLimits limits = {}, PeerUidLookup lookup = {}) {
        server_ = std::make_unique<HttpServer>(io_.executor(), std::move(handler), limits,
                                               std::move(lookup));
        auto port = io_.run([this] { return server_->listenTcp("127.0.0.1", 0); });
        EXPECT_TRUE(port) << (port ? "" : port.error().message);
        return port ? port.value() : 0;
    }

    // A new connection from `source` that gets its request answered 200. A connection that
    // was just answered becomes an idle keep-alive only once the server has seen its write
    // complete, which may lag behind the client's read: a 503 in that moment is retried.
    static bool servedSoon(std::uint16_t port,
                           const std::string& source,
                           std::vector<std::unique_ptr<RawClient>>* keep = nullptr) {
        for (int attempt = 0; attempt < 100; ++attempt) {
            auto client = std::make_unique<RawClient>(port, source);
            const auto status = client->roundTrip(makeRequest(Verb::get, "/")).result();
            if (status == Status::ok) {
                if (keep != nullptr) {
                    keep->push_back(std::move(client));
                }
                return true;
            }
            if (status != Status::service_unavailable) {
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    void TearDown() override {
        if (server_) {
            io_.run([this] { server_->stop(); });
        }
        io_.join();
    }

    IoThread io_;
    std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTcpTest, ListenOnPortZeroReturnsTheBoundPort) {
    const auto port = start(EchoHandler{});
    EXPECT_NE(port, 0);
}

TEST_F(ServerTcpTest, ServesTwoRequestsOnOneKeepAliveConnection) {
    EchoHandler handler;
    const auto port = start(handler);
    RawClient client(port);
    auto first = client.roundTrip(makeRequest(Verb::get, "/one"));
    EXPECT_EQ(first.result(), Status::ok);
    EXPECT_EQ(first.body(), "GET /one ");
    EXPECT_EQ(first[Field::server], "azcm");
    EXPECT_EQ(first[Field::content_length], "9");
    EXPECT_EQ(first[Field::content_type], "text/plain; charset=utf-8");
    EXPECT_TRUE(first.keep_alive());
    auto second = client.roundTrip(makeRequest(Verb::post, "/two", "payload"));
    EXPECT_EQ(second.body(), "POST /two payload");
    EXPECT_EQ(*handler.count, 2);
    EXPECT_EQ(handler.last_peer->remote_address.rfind("127.0.0.1:", 0), 0U);
    EXPECT_FALSE(handler.last_peer->uid.has_value());
}

TEST_F(ServerTcpTest, ClosesAfterAnswerWhenClientAsksForClose) {
    const auto port = start(EchoHandler{});
    RawClient client(port);
    auto request = makeRequest(Verb::get, "/");
    request.keep_alive(false);
    auto response = client.roundTrip(std::move(request));
    EXPECT_EQ(response.result(), Status::ok);
    EXPECT_FALSE(response.keep_alive());
    EXPECT_TRUE(client.waitForClose());
}

TEST_F(ServerTcpTest, RejectsOversizedHeaderWith431) {
    ServerLimits limits;
    limits.max_header_bytes = 1024;
    EchoHandler handler;
    const auto port = start(handler, limits);
    RawClient client(port);
    auto request = makeRequest(Verb::get, "/");
    request.set("X-Big", std::string(4096, 'a'));
    auto response = client.roundTrip(std::move(request));
    EXPECT_EQ(response.result(), Status::request_header_fields_too_large);
    EXPECT_FALSE(response.keep_alive());
    EXPECT_EQ(*handler.count, 0);
    EXPECT_TRUE(client.waitForClose());
}

TEST_F(ServerTcpTest, RejectsOversizedBodyWith413) {
    ServerLimits limits;
    limits.max_body_bytes = 1024;
    EchoHandler handler;
    const auto port = start(handler, limits);
    RawClient client(port);
    auto response = client.roundTrip(makeRequest(Verb::post, "/", std::string(5000, 'b')));
    EXPECT_EQ(response.result(), Status::payload_too_large);
    EXPECT_EQ(*handler.count, 0);
    EXPECT_TRUE(client.waitForClose());
}

TEST_F(ServerTcpTest, RejectsOversizedChunkedBodyWith413) {
    ServerLimits limits;
    limits.max_body_bytes = 16;
    EchoHandler handler;
    const auto port = start(handler, limits);
    RawClient client(port);
    client.writeRaw("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "20\r\n" +
                    std::string(32, 'c') + "\r\n0\r\n\r\n");
    EXPECT_EQ(client.read().result(), Status::payload_too_large);
    EXPECT_EQ(*handler.count, 0);
}

TEST_F(ServerTcpTest, AnswersGarbageWith400) {
    EchoHandler handler;
    const auto port = start(handler);
    RawClient client(port);
    client.writeRaw("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(client.read().result(), Status::bad_request);
    EXPECT_EQ(*handler.count, 0);
}

TEST_F(ServerTcpTest, ClosesIdleKeepAliveConnection) {
    ServerLimits limits;
    limits.idle_timeout = std::chrono::seconds(1);
    const auto port = start(EchoHandler{}, limits);
    RawClient client(port);
    EXPECT_EQ(client.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
    // The server must close on its own; the client's 10 s receive timeout only stops a hang.
    EXPECT_TRUE(client.waitForClose());
}

TEST_F(ServerTcpTest, ClosesConnectionThatSendsAnIncompleteRequest) {
    ServerLimits limits;
    limits.request_timeout = std::chrono::seconds(1);
    const auto port = start(EchoHandler{}, limits);
    RawClient client(port);
    client.writeRaw("GET / HTTP/1.1\r\nHost: x\r\n"); // never finished
    EXPECT_TRUE(client.waitForClose());
}

TEST_F(ServerTcpTest, HandlerMayRespondLaterFromAPostedTask) {
    auto executor = io_.executor();
    const auto port = start([executor](Request&& request, const PeerInfo&, Respond respond) {
        auto timer = std::make_shared<boost::asio::steady_timer>(executor);
        timer->expires_after(std::chrono::milliseconds(50));
        timer->async_wait([timer, respond, request = std::move(request)](auto) {
            respond(makeJsonResponse(request, Status::accepted, R"({"late":true})"));
        });
    });
    RawClient client(port);
    auto response = client.roundTrip(makeRequest(Verb::get, "/later"));
    EXPECT_EQ(response.result(), Status::accepted);
    EXPECT_EQ(response.body(), R"({"late":true})");
    EXPECT_EQ(response[Field::content_type], "application/json; charset=utf-8");
    // The connection stays usable afterwards.
    EXPECT_EQ(client.roundTrip(makeRequest(Verb::get, "/again")).result(), Status::accepted);
}

TEST_F(ServerTcpTest, LateRespondAfterStopIsHarmless) {
    auto saved = std::make_shared<std::optional<std::pair<Request, Respond>>>();
    auto reached = std::make_shared<std::promise<void>>();
    const auto port = start([saved, reached](Request&& request, const PeerInfo&, Respond respond) {
        saved->emplace(std::move(request), std::move(respond));
        reached->set_value();
    });
    RawClient client(port);
    client.write(makeRequest(Verb::get, "/never"));
    reached->get_future().wait();
    io_.run([this] { server_->stop(); });
    EXPECT_TRUE(client.waitForClose());
    io_.run([saved] {
        auto& [request, respond] = **saved;
        respond(makeTextResponse(request, Status::ok, "too late"));
        saved->reset(); // the handler holds `saved`: break the cycle
    });
}

TEST_F(ServerTcpTest, HandlerExceptionBecomes500) {
    const auto port =
        start([](Request&&, const PeerInfo&, Respond) { throw std::runtime_error("boom"); });
    RawClient client(port);
    auto response = client.roundTrip(makeRequest(Verb::get, "/"));
    EXPECT_EQ(response.result(), Status::internal_server_error);
    EXPECT_EQ(response.body().find("boom"), std::string::npos);
}

TEST_F(ServerTcpTest, RefusesWith503AndRetryAfterWhenNoSlotCanBeFreed) {
    ServerLimits limits;
    limits.max_connections = 1;
    limits.retry_after = std::chrono::seconds(3);
    const auto port = start(EchoHandler{}, limits);
    RawClient first(port); // connected, request not sent yet: busy, not an idle keep-alive
    RawClient second(port);
    const auto refused = second.read();
    EXPECT_EQ(refused.result(), Status::service_unavailable);
    EXPECT_EQ(refused[Field::retry_after], "3");
    EXPECT_EQ(refused[Field::content_type], "application/json; charset=utf-8");
    EXPECT_NE(refused.body().find("\"error\":\"service_unavailable\""), std::string::npos);
    EXPECT_FALSE(refused.keep_alive());
    EXPECT_TRUE(second.waitForClose());
    // The first connection is unaffected.
    EXPECT_EQ(first.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
}

TEST_F(ServerTcpTest, EvictsTheLongestIdleKeepAliveBeforeRefusing) {
    ServerLimits limits;
    limits.max_connections = 2;
    limits.idle_timeout = std::chrono::minutes(5); // no slot frees itself during the test
    const auto port = start(EchoHandler{}, limits);
    RawClient oldest(port);
    EXPECT_EQ(oldest.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
    RawClient younger(port);
    EXPECT_EQ(younger.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
    EXPECT_TRUE(servedSoon(port, "127.0.0.1"));
    EXPECT_TRUE(oldest.waitForClose());
    EXPECT_EQ(younger.roundTrip(makeRequest(Verb::get, "/again")).result(), Status::ok);
}

TEST_F(ServerTcpTest, OneUidCannotHoldEverySlot) {
    ServerLimits limits;
    limits.max_connections = 4;
    limits.max_connections_per_uid = 2;
    limits.idle_timeout = std::chrono::minutes(5); // no slot frees itself during the test
    const auto port = start(EchoHandler{}, limits, uidBySourceAddress());
    // The attacker (127.0.0.2) makes as many keep-alive connections as there are slots; each new
    // one beyond its bound takes the place of its own longest idle one.
    std::vector<std::unique_ptr<RawClient>> attacker;
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(servedSoon(port, "127.0.0.2", &attacker)) << i;
    }
    // Another uid (127.0.0.3) still gets in, at once.
    RawClient victim(port, "127.0.0.3");
    EXPECT_EQ(victim.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
    RawClient second_victim(port, "127.0.0.3");
    EXPECT_EQ(second_victim.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
    // The attacker's first two made room for its last two.
    EXPECT_TRUE(attacker.at(0)->waitForClose());
    EXPECT_TRUE(attacker.at(1)->waitForClose());
}

TEST_F(ServerTcpTest, UidAtItsBoundWithoutIdleConnectionsGets503) {
    ServerLimits limits;
    limits.max_connections = 8;
    limits.max_connections_per_uid = 1;
    const auto port = start(EchoHandler{}, limits, uidBySourceAddress());
    RawClient holder(port, "127.0.0.2"); // sends nothing: not evictable
    RawClient second(port, "127.0.0.2");
    EXPECT_EQ(second.read().result(), Status::service_unavailable);
    RawClient other(port, "127.0.0.3");
    EXPECT_EQ(other.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
    EXPECT_EQ(holder.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
}

TEST_F(ServerTcpTest, LoopbackPeersAreIdentifiedByTheKernel) {
    ServerLimits limits;
    limits.max_connections_per_uid = 4;
    EchoHandler handler;
    const auto port = start(handler, limits); // no lookup given: the kernel's answer
    RawClient client(port);
    EXPECT_EQ(client.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
    ASSERT_TRUE(handler.last_peer->uid.has_value());
    EXPECT_EQ(*handler.last_peer->uid, ::geteuid());
}

TEST_F(ServerTcpTest, StopClosesLiveConnectionsAndRunReturns) {
    const auto port = start(EchoHandler{});
    RawClient client(port);
    EXPECT_EQ(client.roundTrip(makeRequest(Verb::get, "/")).result(), Status::ok);
    io_.run([this] { server_->stop(); });
    EXPECT_TRUE(client.waitForClose());
    // join() returns only when run() has no work left: no acceptor, socket or timer pending.
    io_.join();
}

TEST(MakeResponse, MirrorsKeepAliveAndSetsJsonContentType) {
    Request keep{Verb::get, "/", 11};
    auto response = makeJsonResponse(keep, Status::ok, "{}");
    EXPECT_TRUE(response.keep_alive());
    EXPECT_EQ(response.version(), 11U);
    EXPECT_EQ(response[Field::content_type], "application/json; charset=utf-8");
    EXPECT_EQ(response[Field::content_length], "2");
    Request close{Verb::get, "/", 11};
    close.keep_alive(false);
    EXPECT_FALSE(makeJsonResponse(close, Status::ok, "{}").keep_alive());
}

} // namespace
} // namespace azcm::http
