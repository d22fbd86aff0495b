// The forward proxy on real loopback sockets: a blocking client on the test thread, the proxy on
// an io thread, a small echo server or a plain-HTTP origin as the destination, and the test
// ForwardProxy as a recording upstream.
#include "arcproxy/proxy_listener.hpp"
#include "common/config/cloud_config.hpp"
#include "forward_proxy.hpp"
#include "http_test_client.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace azcm::arcproxy {
namespace {

using namespace std::chrono_literals;

// From a chosen loopback source address (127.0.0.0/8 is all ours), so that tests can tell
// clients apart by address.
int connectFrom(const char* source, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
        ::close(fd);
        return -1;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(fd);
        return -1;
    }
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    return fd;
}

int connectTo(std::uint16_t port) {
    return connectFrom("127.0.0.1", port);
}

// Stands in for the kernel: 127.0.0.N is uid 1000+N.
http::PeerUidLookup uidBySourceAddress() {
    return [](const boost::asio::ip::tcp::endpoint&,
              const boost::asio::ip::tcp::endpoint& peer) -> Result<std::optional<std::uint32_t>> {
        return std::optional<std::uint32_t>(1000U + peer.address().to_v4().to_bytes()[3]);
    };
}

void sendAll(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        sent += static_cast<std::size_t>(n);
    }
}

// Reads until `count` bytes arrived, the peer closed, or the 5 s receive timeout.
std::string receive(int fd, std::size_t count) {
    std::string data;
    char buffer[4096];
    while (data.size() < count) {
        const auto n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) {
            break;
        }
        data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
}

// The proxy's answer head (and whatever followed it in the same reads).
std::string receiveHead(int fd) {
    std::string data;
    char c = 0;
    while (data.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) {
        data.push_back(c);
    }
    return data;
}

bool closedByPeer(int fd, std::chrono::milliseconds within) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(within.count())) <= 0) {
        return false;
    }
    char c = 0;
    return ::recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

// Echoes every byte back on each accepted connection; counts connections.
class EchoServer {
public:
    EchoServer() {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
        socklen_t length = sizeof(address);
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        ::listen(listener_, 16);
        thread_ = std::thread([this] {
            for (;;) {
                const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
                if (client < 0) {
                    return;
                }
                ++connections_;
                std::thread([client] {
                    char buffer[4096];
                    for (;;) {
                        const auto n = ::recv(client, buffer, sizeof(buffer), 0);
                        if (n <= 0) {
                            break;
                        }
                        sendAll(client, std::string(buffer, static_cast<std::size_t>(n)));
                    }
                    ::close(client);
                }).detach();
            }
        });
    }
    ~EchoServer() {
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        thread_.join();
    }
    EchoServer(const EchoServer&) = delete;
    EchoServer& operator=(const EchoServer&) = delete;
    EchoServer(EchoServer&&) = delete;
    EchoServer& operator=(EchoServer&&) = delete;

    std::uint16_t port() const { return port_; }
    int connections() const { return connections_.load(); }

private:
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<int> connections_{0};
    std::thread thread_;
};

// A plain-HTTP origin on loopback (Beast, blocking, a thread per connection): answers every
// request `200` with "<method> <target> <body>" (chunked for /chunked, no body for HEAD) and
// records each request head and body.
class HttpOrigin {
public:
    struct Seen {
        std::string head;
        std::string body;
    };

    HttpOrigin() : state_(std::make_shared<State>()) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
        socklen_t length = sizeof(address);
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        ::listen(listener_, 16);
        thread_ = std::thread([this] {
            for (;;) {
                const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
                if (client < 0) {
                    return;
                }
                std::thread([state = state_, client] { serve(state, client); }).detach();
            }
        });
    }
    ~HttpOrigin() {
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        thread_.join();
    }
    HttpOrigin(const HttpOrigin&) = delete;
    HttpOrigin& operator=(const HttpOrigin&) = delete;
    HttpOrigin(HttpOrigin&&) = delete;
    HttpOrigin& operator=(HttpOrigin&&) = delete;

    std::uint16_t port() const { return port_; }
    std::string authority() const { return "127.0.0.1:" + std::to_string(port_); }
    std::vector<Seen> seen() const {
        const std::lock_guard lock(state_->mutex);
        return state_->seen;
    }

private:
    struct State {
        std::mutex mutex;
        std::vector<Seen> seen;
    };

    static void serve(const std::shared_ptr<State>& state, int fd) {
        namespace bhttp = boost::beast::http;
        boost::asio::io_context io;
        boost::asio::ip::tcp::socket socket(io);
        boost::system::error_code ec;
        socket.assign(boost::asio::ip::tcp::v4(), fd, ec);
        boost::beast::flat_buffer buffer;
        while (!ec) {
            bhttp::request<bhttp::string_body> request;
            bhttp::read(socket, buffer, request, ec);
            if (ec) {
                break;
            }
            std::ostringstream head;
            head << request.base();
            {
                const std::lock_guard lock(state->mutex);
                state->seen.push_back({head.str(), request.body()});
            }
            const std::string target(request.target());
            bhttp::response<bhttp::string_body> response{bhttp::status::ok, request.version()};
            response.body() =
                std::string(request.method_string()) + " " + target + " " + request.body();
            if (target == "/chunked") {
                response.chunked(true);
            } else {
                response.prepare_payload();
            }
            if (request.method() == bhttp::verb::head) {
                response.body().clear(); // the length stays: the one a GET would have
            }
            response.keep_alive(request.keep_alive());
            bhttp::write(socket, response, ec);
            if (!request.keep_alive()) {
                break;
            }
        }
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }

    std::shared_ptr<State> state_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

// A ProxyListener on its own io thread.
class ProxyUnderTest {
public:
    explicit ProxyUnderTest(ProxyListenerOptions options)
        : guard_(io_.get_executor()), listener_(io_, std::move(options)) {
        port_ = listener_.listen("127.0.0.1", 0).value();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~ProxyUnderTest() {
        std::promise<void> stopped;
        boost::asio::post(io_, [&] {
            listener_.stop();
            stopped.set_value();
        });
        stopped.get_future().wait();
        guard_.reset();
        io_.stop();
        thread_.join();
    }
    ProxyUnderTest(const ProxyUnderTest&) = delete;
    ProxyUnderTest& operator=(const ProxyUnderTest&) = delete;
    ProxyUnderTest(ProxyUnderTest&&) = delete;
    ProxyUnderTest& operator=(ProxyUnderTest&&) = delete;

    std::uint16_t port() const { return port_; }
    ProxyCounters counters() {
        std::promise<ProxyCounters> result;
        boost::asio::post(io_, [&] { result.set_value(listener_.counters()); });
        return result.get_future().get();
    }

private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    ProxyListener listener_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

ProxyListenerOptions sandboxOptions() {
    ProxyListenerOptions options;
    options.rules.allow_loopback = true;
    options.rules.allowed_ports.clear();
    return options;
}

std::function<std::shared_ptr<const AllowList>()>
allowListOf(std::initializer_list<const char*> entries) {
    auto list = std::make_shared<AllowList>(agentEndpoints(config::azurePublicCloud()));
    for (const auto* entry : entries) {
        list->add(parseAllowedDestination(entry).value());
    }
    return [list] { return list; };
}

// Production rules (no loopback, 443 and 80), the public cloud's allow-list plus `listed`, and
// the recording upstream with credentials agent:s3cret.
ProxyListenerOptions productionThrough(test::ForwardProxy& upstream,
                                       std::initializer_list<const char*> listed = {}) {
    ProxyListenerOptions options;
    options.allow_list = allowListOf(listed);
    options.upstream = [&upstream]() -> std::optional<http::ProxyUrl> {
        return http::parseProxyUrl("http://agent:s3cret@127.0.0.1:" +
                                   std::to_string(upstream.port()))
            .value();
    };
    return options;
}

constexpr const char* kCredentials = "Proxy-Authorization: Basic YWdlbnQ6czNjcmV0";

// One answer read off a raw socket: the head and the Content-Length body behind it.
std::string receiveAnswer(int fd) {
    auto answer = receiveHead(fd);
    const auto at = answer.find("Content-Length: ");
    if (at != std::string::npos) {
        answer += receive(fd, std::stoul(answer.substr(at + 16)));
    }
    return answer;
}

std::string connectHead(const std::string& authority) {
    return "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n";
}

TEST(ProxyListener, TunnelCarriesBytesBothWaysIncludingThoseSentWithTheHead) {
    EchoServer echo;
    ProxyUnderTest proxy(sandboxOptions());
    const int fd = connectTo(proxy.port());
    ASSERT_GE(fd, 0);
    // A client may pipeline its first bytes (a TLS ClientHello) right behind the CONNECT head.
    sendAll(fd, connectHead("127.0.0.1:" + std::to_string(echo.port())) + "hello");
    const auto head = receiveHead(fd);
    EXPECT_EQ(head.rfind("HTTP/1.1 200 ", 0), 0U) << head;
    EXPECT_EQ(receive(fd, 5), "hello");
    const std::string big(200 * 1024, 'x');
    std::thread writer([&] { sendAll(fd, big); });
    EXPECT_EQ(receive(fd, big.size()).size(), big.size());
    writer.join();
    ::close(fd);
    EXPECT_EQ(echo.connections(), 1);
    EXPECT_TRUE([&] {
        for (int i = 0; i < 100; ++i) {
            if (proxy.counters().forwarded == 1 && proxy.counters().active == 0) {
                return true;
            }
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }()) << "the tunnel is counted and closed after the client leaves";
}

TEST(ProxyListener, LoopbackAndForbiddenPortsAreRefusedBeforeAnyConnection) {
    EchoServer echo;
    ProxyListenerOptions production; // loopback refused, 443 and 80 only
    ProxyUnderTest proxy(production);
    for (const std::string& authority :
         {"127.0.0.1:" + std::to_string(echo.port()), std::string("127.0.0.1:443"),
          std::string("169.254.169.254:80"), std::string("localhost:443")}) {
        const int fd = connectTo(proxy.port());
        sendAll(fd, connectHead(authority));
        const auto head = receiveHead(fd);
        EXPECT_EQ(head.rfind("HTTP/1.1 403 ", 0), 0U) << authority << ": " << head;
        ::close(fd);
    }
    EXPECT_EQ(echo.connections(), 0);
    EXPECT_EQ(proxy.counters().refused, 4U);
}

TEST(ProxyListener, MalformedAndUnsupportedRequestsGetClearAnswers) {
    ProxyUnderTest proxy(sandboxOptions());
    const std::pair<std::string, std::string> cases[] = {
        {"CONNECT nohost HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
        {"GET /metadata HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 "},
        {"GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", "HTTP/1.1 400 "},
        {"POST http://example.com/ HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: "
         "chunked\r\n\r\n0\r\n\r\n",
         "HTTP/1.1 411 "},
        {"CONNECT a:443 HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", "HTTP/1.1 431 "},
    };
    for (const auto& [request, expected] : cases) {
        const int fd = connectTo(proxy.port());
        sendAll(fd, request);
        const auto head = receiveHead(fd);
        EXPECT_EQ(head.rfind(expected, 0), 0U) << request.substr(0, 60) << " -> " << head;
        ::close(fd);
    }
}

TEST(ProxyListener, UpstreamProxyGetsTheTunnelWithItsCredentials) {
    EchoServer echo;
    test::ForwardProxy::Options upstream_options;
    upstream_options.required_authorization = "Basic dXNlcjpwYXNz";
    test::ForwardProxy upstream(upstream_options);
    auto options = sandboxOptions();
    options.upstream = [&upstream]() -> std::optional<http::ProxyUrl> {
        return http::parseProxyUrl("http://user:pass@127.0.0.1:" + std::to_string(upstream.port()))
            .value();
    };
    ProxyUnderTest proxy(options);
    const int fd = connectTo(proxy.port());
    sendAll(fd, connectHead("127.0.0.1:" + std::to_string(echo.port())));
    const auto head = receiveHead(fd);
    EXPECT_EQ(head.rfind("HTTP/1.1 200 ", 0), 0U) << head;
    sendAll(fd, "via upstream");
    EXPECT_EQ(receive(fd, 12), "via upstream");
    ::close(fd);
    EXPECT_EQ(upstream.connects(), 1);
}

TEST(ProxyListener, UpstreamRefusalBecomesBadGateway) {
    test::ForwardProxy::Options upstream_options;
    upstream_options.refuse_status = 403;
    test::ForwardProxy upstream(upstream_options);
    auto options = sandboxOptions();
    options.allow_list = allowListOf({"arc.test:443"});
    options.upstream = [&upstream]() -> std::optional<http::ProxyUrl> {
        return http::parseProxyUrl(upstream.url()).value();
    };
    ProxyUnderTest proxy(options);
    const int fd = connectTo(proxy.port());
    sendAll(fd, connectHead("arc.test:443"));
    const auto answer = receive(fd, 4096); // up to the close that follows the short body
    EXPECT_EQ(answer.rfind("HTTP/1.1 502 ", 0), 0U) << answer;
    EXPECT_NE(answer.find("refused the tunnel with 403"), std::string::npos) << answer;
    ::close(fd);
    EXPECT_EQ(proxy.counters().failed, 1U);
}

TEST(ProxyListener, ConnectionLimitAndIdleTimeout) {
    EchoServer echo;
    auto options = sandboxOptions();
    options.max_connections = 1;
    options.idle_timeout = 300ms;
    ProxyUnderTest proxy(options);
    const int first = connectTo(proxy.port());
    sendAll(first, connectHead("127.0.0.1:" + std::to_string(echo.port())));
    ASSERT_EQ(receiveHead(first).rfind("HTTP/1.1 200 ", 0), 0U);

    const int second = connectTo(proxy.port());
    const auto refused = receiveHead(second);
    EXPECT_EQ(refused.rfind("HTTP/1.1 503 ", 0), 0U) << refused;
    EXPECT_NE(refused.find("\r\nRetry-After: 1\r\n"), std::string::npos) << refused;
    ::close(second);

    EXPECT_TRUE(closedByPeer(first, 3000ms)) << "an idle tunnel is closed";
    ::close(first);
}

// The request matrix of a local user spending the administrator's proxy credentials: loopback
// under every spelling the resolver accepts, cloud metadata services, unlisted names and ports.
// Each is refused before anything is sent to the upstream proxy.
TEST(ProxyListener, RefusedDestinationsNeverReachTheUpstream) {
    test::ForwardProxy upstream;
    ProxyUnderTest proxy(productionThrough(upstream));
    const std::vector<std::string> tunnels = {
        "localhost:443",
        "2130706433:443",
        "0x7f.1:443",
        "0177.0.0.1:443",
        "127.0.0.1:443",
        "127.0.0.1.:443",
        "[::1]:443",
        "[::ffff:127.0.0.1]:443",
        "[::127.0.0.1]:443",
        "metadata.google.internal:443",
        "169.254.169.254:443",
        "2852039166:443",
        "[fd00:ec2::254]:443",
        "100.100.100.200:443",
        "[::ffff:169.254.169.254]:443",
        "[64:ff9b::a9fe:a9fe]:443",
        "example.com:443",
        "management.azure.com:80",
        "management.azure.com:22",
    };
    const std::vector<std::string> requests = {
        "http://localhost/",
        "http://2130706433:80/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://169.254.169.254/metadata/instance",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://example.com/",
        "http://management.azure.com/",
    };
    for (const auto& authority : tunnels) {
        const int fd = connectTo(proxy.port());
        sendAll(fd, connectHead(authority) + "after the head");
        const auto answer = receiveHead(fd);
        EXPECT_EQ(answer.rfind("HTTP/1.1 403 ", 0), 0U) << authority << ": " << answer;
        ::close(fd);
    }
    for (const auto& url : requests) {
        const int fd = connectTo(proxy.port());
        sendAll(fd, "GET " + url + " HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto answer = receiveHead(fd);
        EXPECT_EQ(answer.rfind("HTTP/1.1 403 ", 0), 0U) << url << ": " << answer;
        ::close(fd);
    }
    EXPECT_TRUE(upstream.heads().empty()) << upstream.heads().front();
    EXPECT_EQ(upstream.connects(), 0);
    EXPECT_EQ(proxy.counters().refused, tunnels.size() + requests.size());
    EXPECT_EQ(proxy.counters().forwarded, 0U);
}

// A listed name is resolved here too: when it resolves to a local address it is refused, also
// when the upstream proxy would have resolved it on its own.
TEST(ProxyListener, ListedNameThatResolvesToLoopbackIsRefusedThroughTheUpstreamToo) {
    test::ForwardProxy upstream;
    ProxyUnderTest proxy(productionThrough(upstream, {"localhost:443", "localhost:80"}));
    const int tunnel = connectTo(proxy.port());
    sendAll(tunnel, connectHead("localhost:443"));
    const auto tunnel_answer = receiveAnswer(tunnel);
    EXPECT_EQ(tunnel_answer.rfind("HTTP/1.1 403 ", 0), 0U) << tunnel_answer;
    EXPECT_NE(tunnel_answer.find("loopback"), std::string::npos) << tunnel_answer;
    ::close(tunnel);
    const int request = connectTo(proxy.port());
    sendAll(request, "GET http://localhost/ HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_EQ(receiveHead(request).rfind("HTTP/1.1 403 ", 0), 0U);
    ::close(request);
    EXPECT_TRUE(upstream.heads().empty());
}

// A listed name that does not resolve here goes to the upstream proxy, which alone can resolve
// it, with the credentials; the name it gets is the normalised one.
TEST(ProxyListener, ListedNameOnlyTheUpstreamResolvesGoesThereWithTheCredentials) {
    EchoServer echo;
    test::ForwardProxy upstream;
    upstream.route("arc.test:443", "127.0.0.1:" + std::to_string(echo.port()));
    ProxyUnderTest proxy(productionThrough(upstream, {"arc.test:443"}));
    const int fd = connectTo(proxy.port());
    sendAll(fd, connectHead("ARC.test.:443"));
    const auto head = receiveHead(fd);
    ASSERT_EQ(head.rfind("HTTP/1.1 200 ", 0), 0U) << head;
    sendAll(fd, "through the tunnel");
    EXPECT_EQ(receive(fd, 18), "through the tunnel");
    ::close(fd);
    const auto heads = upstream.heads();
    ASSERT_EQ(heads.size(), 1U);
    EXPECT_EQ(heads[0].rfind("CONNECT arc.test:443 HTTP/1.1\r\n", 0), 0U) << heads[0];
    EXPECT_NE(heads[0].find(kCredentials), std::string::npos) << heads[0];
}

// Bytes behind a plain-HTTP request are the next request, checked on its own: a pipelined
// request to a refused host is refused and never reaches the upstream proxy.
TEST(ProxyListener, PipelinedSecondRequestToARefusedHostIsRefused) {
    test::ForwardProxy upstream;
    ProxyUnderTest proxy(productionThrough(upstream, {"arc.test:80"}));
    test::HttpTestConnection client("127.0.0.1", proxy.port());
    const auto first =
        client.sendRaw("GET http://arc.test/first HTTP/1.1\r\nHost: arc.test\r\n\r\n"
                       "GET http://metadata.google.internal/computeMetadata/v1/ HTTP/1.1\r\n"
                       "Host: metadata.google.internal\r\nMetadata-Flavor: Google\r\n\r\n");
    EXPECT_EQ(first.result_int(), 200);
    EXPECT_EQ(first.body(), "upstream saw http://arc.test/first");
    const auto second = client.sendRaw("");
    EXPECT_EQ(second.result_int(), 403) << second.body();
    EXPECT_TRUE(client.closedByPeer(5000ms));

    const auto heads = upstream.heads();
    ASSERT_EQ(heads.size(), 1U);
    EXPECT_NE(heads[0].find(kCredentials), std::string::npos) << heads[0];
    EXPECT_EQ(heads[0].find("metadata"), std::string::npos) << heads[0];
    EXPECT_EQ(proxy.counters().forwarded, 1U);
    EXPECT_EQ(proxy.counters().refused, 1U);
}

// Keep-alive: each request is parsed, checked and sent on by itself, its body by its length,
// hop-by-hop headers dropped; a later request to a refused destination ends the connection.
TEST(ProxyListener, KeepAliveRequestsAreCheckedAndForwardedOneAtATime) {
    HttpOrigin origin;
    ProxyUnderTest proxy(sandboxOptions());
    test::HttpTestConnection client("127.0.0.1", proxy.port());
    const auto base = "http://" + origin.authority();
    const auto posted = client.sendRaw(
        "POST " + base +
        "/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\nProxy-Authorization: Basic eDp5\r\n\r\n"
        "hello"
        "GET " +
        base + "/second HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(posted.result_int(), 200);
    EXPECT_EQ(posted.body(), "POST /upload hello");
    const auto second = client.sendRaw("");
    EXPECT_EQ(second.result_int(), 200);
    EXPECT_EQ(second.body(), "GET /second ");
    const auto refused =
        client.sendRaw("GET http://169.254.169.254/metadata/instance HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(refused.result_int(), 403);
    EXPECT_TRUE(client.closedByPeer(5000ms));

    const auto seen = origin.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].body, "hello");
    EXPECT_EQ(seen[0].head.rfind("POST /upload HTTP/1.1\r\n", 0), 0U) << seen[0].head;
    EXPECT_NE(seen[0].head.find("Host: " + origin.authority() + "\r\n"), std::string::npos)
        << seen[0].head;
    for (const char* dropped : {"X-Hop", "Proxy-Authorization", "keep-alive"}) {
        EXPECT_EQ(seen[0].head.find(dropped), std::string::npos) << dropped << seen[0].head;
    }
    EXPECT_EQ(seen[1].head.rfind("GET /second HTTP/1.1\r\n", 0), 0U) << seen[1].head;
    EXPECT_EQ(proxy.counters().forwarded, 2U);
    EXPECT_EQ(proxy.counters().refused, 1U);
}

// Answers keep their framing: a chunked body is relayed chunked, a HEAD answer has no body and
// the connection carries on after both.
TEST(ProxyListener, ChunkedAndHeadAnswersAreRelayed) {
    HttpOrigin origin;
    ProxyUnderTest proxy(sandboxOptions());
    const int fd = connectTo(proxy.port());
    const auto base = "http://" + origin.authority();
    sendAll(fd, "GET " + base + "/chunked HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto chunked = receiveHead(fd);
    EXPECT_NE(chunked.find("Transfer-Encoding: chunked"), std::string::npos) << chunked;
    // "GET /chunked " in one chunk, then the last chunk.
    const std::string chunks = "d\r\nGET /chunked \r\n0\r\n\r\n";
    EXPECT_EQ(receive(fd, chunks.size()), chunks);
    sendAll(fd, "HEAD " + base + "/head HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto head = receiveHead(fd);
    EXPECT_EQ(head.rfind("HTTP/1.1 200 ", 0), 0U) << head;
    EXPECT_NE(head.find("Content-Length: 11"), std::string::npos) << head;
    sendAll(fd, "GET " + base + "/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto last = receiveAnswer(fd);
    EXPECT_NE(last.find("\r\n\r\nGET /last "), std::string::npos)
        << "the HEAD answer had no body to confuse the next one: " << last;
    EXPECT_TRUE(closedByPeer(fd, 5000ms));
    ::close(fd);
    EXPECT_EQ(origin.seen().size(), 3U);
}

} // namespace
} // namespace azcm::arcproxy

namespace azcm::arcproxy {
namespace {

TEST(ProxyListener, OneUidCannotHoldEverySlot) {
    EchoServer echo;
    auto options = sandboxOptions();
    options.max_connections = 4;
    options.max_connections_per_uid = 2;
    options.peer_uid_lookup = uidBySourceAddress();
    ProxyUnderTest proxy(options);
    const auto tunnel = connectHead("127.0.0.1:" + std::to_string(echo.port()));
    // The attacker (127.0.0.2) opens tunnels until it is refused.
    std::vector<int> attacker;
    std::string refusal;
    for (int i = 0; i < 4 && refusal.empty(); ++i) {
        const int fd = connectFrom("127.0.0.2", proxy.port());
        ASSERT_GE(fd, 0);
        sendAll(fd, tunnel);
        const auto head = receiveHead(fd);
        if (head.rfind("HTTP/1.1 200 ", 0) == 0) {
            attacker.push_back(fd);
        } else {
            refusal = head;
            ::close(fd);
        }
    }
    EXPECT_EQ(attacker.size(), 2U);
    EXPECT_EQ(refusal.rfind("HTTP/1.1 503 ", 0), 0U) << refusal;
    EXPECT_NE(refusal.find("\r\nRetry-After: 1\r\n"), std::string::npos) << refusal;
    // Another uid (127.0.0.3) still gets its tunnels.
    for (int i = 0; i < 2; ++i) {
        const int fd = connectFrom("127.0.0.3", proxy.port());
        sendAll(fd, tunnel);
        EXPECT_EQ(receiveHead(fd).rfind("HTTP/1.1 200 ", 0), 0U) << i;
        ::close(fd);
    }
    for (const int fd : attacker) {
        ::close(fd);
    }
}

TEST(ProxyListener, ClientsAreIdentifiedByTheKernel) {
    EchoServer echo;
    auto options = sandboxOptions();
    options.max_connections_per_uid = 1; // no lookup given: the kernel's answer
    ProxyUnderTest proxy(options);
    const int first = connectTo(proxy.port());
    sendAll(first, connectHead("127.0.0.1:" + std::to_string(echo.port())));
    ASSERT_EQ(receiveHead(first).rfind("HTTP/1.1 200 ", 0), 0U);
    // Another source address, the same uid: the bound holds.
    const int second = connectFrom("127.0.0.5", proxy.port());
    EXPECT_EQ(receiveHead(second).rfind("HTTP/1.1 503 ", 0), 0U);
    ::close(second);
    ::close(first);
}

} // namespace
} // namespace azcm::arcproxy
