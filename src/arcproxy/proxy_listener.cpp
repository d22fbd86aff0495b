#include "proxy_listener.hpp"

#include "http/url.hpp"
#include "log/log.hpp"

#include <array>
#include <set>
#include <sstream>
#include <utility> // before Asio's awaitable.hpp (TOOLCHAIN-NOTES: Boost 1.74 with g++ 12)
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

namespace azcm::arcproxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using ErrorCode = boost::system::error_code;

namespace {

constexpr std::uint32_t kMaxRequestHeaderBytes = 8 * 1024;
constexpr std::size_t kPumpBufferBytes = 16 * 1024;
// What a refused client may still send while its 503 goes out.
constexpr std::size_t kMaxDiscardedBytes = 64 * 1024;

// Hop-by-hop and proxy headers a forwarded plain-HTTP request must not carry on.
constexpr std::array kDroppedHeaders = {bhttp::field::proxy_authorization,
                                        bhttp::field::proxy_connection,
                                        bhttp::field::connection,
                                        bhttp::field::keep_alive,
                                        bhttp::field::te,
                                        bhttp::field::upgrade};

std::string statusLine(int status, std::string_view reason) {
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
}

// A short plain-text answer that closes the connection.
std::string errorAnswer(int status, std::string_view reason, const std::string& message) {
    const std::string body = message + "\n";
    return statusLine(status, reason) +
           "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

} // namespace

struct ProxyListener::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::io_context& io_context, ProxyListenerOptions opts)
        : io(io_context), options(std::move(opts)),
          slots(http::ConnectionSlots::create(
              "arcproxy",
              {options.max_connections, options.max_connections_per_uid, std::chrono::seconds(1)},
              options.peer_uid_lookup)) {}

    asio::io_context& io;
    ProxyListenerOptions options;
    // Tunnels and forwarded requests are never idle keep-alives: no connection is evicted.
    std::shared_ptr<http::ConnectionSlots> slots;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    std::set<std::shared_ptr<tcp::socket>> open_sockets; // closed by stop()
    ProxyCounters counters;
    bool stopped = false;

    // Which way a connection ended, for the counters and the log.
    enum class Outcome { kForwarded, kRefused, kFailed };

    struct Refusal {
        int status = 400;
        std::string reason = "Bad Request";
        std::string message;
        Outcome outcome = Outcome::kRefused;
    };

    // What one connection keeps on the heap rather than in coroutine frames: g++ 12 mishandles
    // objects with owning members (std::string) that are declared in nested scopes of a
    // coroutine or passed to one by value across co_await (invalid frees seen under valgrind).
    struct ConnectionState {
        std::optional<Refusal> refusal; // set when the connection is refused or fails early
        std::string target;             // the request target, for the log
        std::string scratch;            // request heads written on
    };

    void track(const std::shared_ptr<tcp::socket>& socket) { open_sockets.insert(socket); }
    void untrack(const std::shared_ptr<tcp::socket>& socket) { open_sockets.erase(socket); }

    asio::awaitable<void> acceptLoop(tcp::acceptor& acceptor) {
        auto self = shared_from_this();
        for (;;) {
            ErrorCode ec;
            tcp::socket socket(io);
            co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
            if (stopped || ec == asio::error::operation_aborted) {
                co_return;
            }
            if (ec) {
                continue;
            }
            ++counters.accepted;
            const auto local = socket.local_endpoint(ec);
            const auto remote = ec ? tcp::endpoint() : socket.remote_endpoint(ec);
            if (ec) {
                continue; // already gone
            }
            const auto peer = slots->identifyTcpPeer(local, remote);
            if (peer.gone) {
                continue; // the client closed its socket before we asked: nobody to answer
            }
            auto admission = slots->admit(peer.uid, {});
            auto client = std::make_shared<tcp::socket>(std::move(socket));
            if (!admission.slot) {
                ++counters.refused;
                if (admission.refusal) {
                    asio::co_spawn(io,
                                   self->refuse(client, admission.retry_after,
                                                std::shared_ptr<http::ConnectionSlots::Refusal>(
                                                    std::move(admission.refusal))),
                                   asio::detached);
                }
                continue;
            }
            client->set_option(tcp::no_delay(true), ec);
            asio::co_spawn(io,
                           self->serve(client, std::shared_ptr<http::ConnectionSlots::Slot>(
                                                   std::move(admission.slot))),
                           asio::detached);
        }
    }

    // No slot is free: 503 with Retry-After, then the client's bytes are read and dropped for a
    // moment so that closing does not reset the connection under the answer.
    asio::awaitable<void> refuse(std::shared_ptr<tcp::socket> client,
                                 std::chrono::seconds retry_after,
                                 std::shared_ptr<http::ConnectionSlots::Refusal> refusal) {
        auto self = shared_from_this();
        track(client);
        const std::string_view body = "arcproxy: too many connections; retry later\n";
        auto answer = std::make_shared<std::string>(
            statusLine(503, "Service Unavailable") +
            "Content-Type: text/plain\r\nRetry-After: " + std::to_string(retry_after.count()) +
            "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
            std::string(body));
        auto discarded = std::make_shared<std::array<char, 1024>>();
        {
            Deadline deadline(io, *client, std::chrono::seconds(2));
            ErrorCode ec;
            co_await asio::async_write(*client, asio::buffer(*answer),
                                       asio::redirect_error(asio::use_awaitable, ec));
            client->shutdown(tcp::socket::shutdown_send, ec);
            std::size_t total = 0;
            while (!ec && total < kMaxDiscardedBytes) {
                total += co_await client->async_read_some(
                    asio::buffer(*discarded), asio::redirect_error(asio::use_awaitable, ec));
            }
        }
        ErrorCode ignored;
        client->close(ignored);
        untrack(client);
        refusal.reset();
    }

    asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client_socket,
                                std::shared_ptr<http::ConnectionSlots::Slot> slot) {
        auto self = shared_from_this();
        ++counters.active;
        track(client_socket);
        auto upstream_socket = std::make_shared<tcp::socket>(io);
        track(upstream_socket);
        auto state = std::make_shared<ConnectionState>();
        auto count = [this](Outcome outcome) {
            switch (outcome) {
            case Outcome::kForwarded:
                ++counters.forwarded;
                break;
            case Outcome::kRefused:
                ++counters.refused;
                break;
            case Outcome::kFailed:
                ++counters.failed;
                break;
            }
        };
        try {
            const auto outcome = co_await handle(client_socket, upstream_socket, *state);
            // Counted before the refusal is written: a client that has its answer sees the
            // counters that include it.
            count(outcome);
            if (state->refusal) {
                spdlog::info("PROXY_REFUSED status={} reason={}", state->refusal->status,
                             log::sanitize(state->refusal->message));
                state->scratch = errorAnswer(state->refusal->status, state->refusal->reason,
                                             "arcproxy: " + state->refusal->message);
                ErrorCode ec;
                co_await asio::async_write(*client_socket, asio::buffer(state->scratch),
                                           asio::redirect_error(asio::use_awaitable, ec));
            }
        } catch (const std::exception& error) {
            spdlog::warn("PROXY_CONNECTION_FAILED error={}", log::sanitize(error.what()));
            count(Outcome::kFailed);
        }
        ErrorCode ignored;
        client_socket->close(ignored);
        upstream_socket->close(ignored);
        untrack(client_socket);
        untrack(upstream_socket);
        --counters.active;
        slot.reset();
    }

    // A deadline for one awaited step on `socket`: closes it if the step takes too long.
    struct Deadline {
        Deadline(asio::io_context& io, tcp::socket& socket, std::chrono::milliseconds after)
            : timer(io) {
            timer.expires_after(after);
            timer.async_wait([&socket](const ErrorCode& ec) {
                if (!ec) {
                    ErrorCode ignored;
                    socket.cancel(ignored);
                }
            });
        }
        ~Deadline() { timer.cancel(); }
        Deadline(const Deadline&) = delete;
        Deadline& operator=(const Deadline&) = delete;
        Deadline(Deadline&&) = delete;
        Deadline& operator=(Deadline&&) = delete;
        asio::steady_timer timer;
    };

    asio::awaitable<Outcome> handle(std::shared_ptr<tcp::socket> client,
                                    std::shared_ptr<tcp::socket> upstream,
                                    ConnectionState& state) {
        std::string& target_text = state.target;
        ErrorCode ec;
        beast::flat_buffer buffer;
        bhttp::request_parser<bhttp::empty_body> parser;
        parser.header_limit(kMaxRequestHeaderBytes);
        {
            Deadline deadline(io, *client, options.request_timeout);
            co_await bhttp::async_read_header(*client, buffer, parser,
                                              asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            if (ec == bhttp::error::header_limit) {
                state.refusal =
                    Refusal{431, "Request Header Fields Too Large", "request head over 8 KiB"};
                co_return state.refusal->outcome;
            }
            co_return Outcome::kRefused; // nothing sensible to answer a broken or silent client
        }
        auto& request = parser.get();
        target_text = std::string(request.target());
        const bool tunnel = request.method() == bhttp::verb::connect;

        Destination destination;
        std::string forward_head; // plain HTTP: the request head to send on
        if (tunnel) {
            auto parsed = parseConnectAuthority(target_text);
            if (!parsed) {
                {
                    state.refusal = Refusal{400, "Bad Request", parsed.error().message};
                    co_return state.refusal->outcome;
                }
            }
            destination = std::move(parsed).value();
        } else {
            auto url = http::parseUrl(target_text);
            if (!url || url.value().scheme != "http") {
                state.refusal = Refusal{400, "Bad Request",
                                        "only CONNECT and absolute http:// requests are forwarded"};
                co_return state.refusal->outcome;
            }
            if (url.value().port != 80 && !options.rules.allowed_ports.empty()) {
                state.refusal =
                    Refusal{403, "Forbidden", "plain HTTP is forwarded to port 80 only"};
                co_return state.refusal->outcome;
            }
            destination = Destination{url.value().host, url.value().port};
            if (request.chunked()) {
                // The body follows the head unparsed through the splice below, so only framing
                // that needs no re-encoding is accepted.
                state.refusal =
                    Refusal{411, "Length Required", "chunked request bodies are not forwarded"};
                co_return state.refusal->outcome;
            }
        }

        if (auto port_allowed = checkDestinationPort(destination.port, options.rules);
            !port_allowed) {
            state.refusal = Refusal{403, "Forbidden", port_allowed.error().message};
            co_return state.refusal->outcome;
        }
        const auto upstream_proxy = options.upstream ? options.upstream() : std::nullopt;
        // IP literals are checked even through an upstream proxy: 169.254.169.254 is as local to
        // the machine when an enterprise proxy is configured as when it is not.
        {
            ErrorCode literal_ec;
            const auto literal = asio::ip::make_address(destination.host, literal_ec);
            if (!literal_ec) {
                if (auto allowed = checkDestinationAddress(literal, options.rules); !allowed) {
                    {
                        state.refusal = Refusal{403, "Forbidden", allowed.error().message};
                        co_return state.refusal->outcome;
                    }
                }
            }
        }

        if (!tunnel) {
            bhttp::request<bhttp::empty_body> forwarded = request;
            for (const auto field : kDroppedHeaders) {
                forwarded.erase(field);
            }
            forwarded.set(bhttp::field::connection, "close");
            if (upstream_proxy) {
                if (upstream_proxy->authorization) {
                    forwarded.set(bhttp::field::proxy_authorization,
                                  *upstream_proxy->authorization);
                }
            } else {
                auto url = http::parseUrl(target_text);
                forwarded.target(url.value().target);
            }
            forwarded.set(bhttp::field::host,
                          destination.port == 80 ? destination.host : destination.hostPort());
            // The head as bytes: written after the connection is made.
            std::string head;
            {
                std::ostringstream out;
                out << forwarded.base();
                head = out.str();
            }
            forward_head = std::move(head);
        }

        // Connect: to the upstream proxy, or to the destination's allowed addresses.
        std::string first_hop_host =
            upstream_proxy ? upstream_proxy->endpoint.host : destination.host;
        std::uint16_t first_hop_port =
            upstream_proxy ? upstream_proxy->endpoint.port : destination.port;
        tcp::resolver resolver(io);
        tcp::resolver::results_type resolved;
        {
            asio::steady_timer timer(io);
            bool timed_out = false;
            timer.expires_after(options.request_timeout);
            timer.async_wait([&](const ErrorCode& timer_ec) {
                if (!timer_ec) {
                    timed_out = true;
                    resolver.cancel();
                }
            });
            resolved = co_await resolver.async_resolve(
                first_hop_host, std::to_string(first_hop_port), tcp::resolver::numeric_service,
                asio::redirect_error(asio::use_awaitable, ec));
            timer.cancel();
            if (timed_out || ec) {
                state.refusal = Refusal{502, "Bad Gateway", "cannot resolve " + first_hop_host,
                                        Outcome::kFailed};
                co_return state.refusal->outcome;
            }
        }
        std::vector<tcp::endpoint> endpoints;
        std::string refused_reason;
        for (const auto& entry : resolved) {
            if (!upstream_proxy) {
                if (auto allowed =
                        checkDestinationAddress(entry.endpoint().address(), options.rules);
                    !allowed) {
                    refused_reason = allowed.error().message;
                    continue;
                }
            }
            endpoints.push_back(entry.endpoint());
        }
        if (endpoints.empty()) {
            state.refusal =
                Refusal{403, "Forbidden", destination.hostPort() + ": " + refused_reason};
            co_return state.refusal->outcome;
        }
        {
            Deadline deadline(io, *upstream, options.request_timeout);
            co_await asio::async_connect(*upstream, endpoints,
                                         asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            state.refusal =
                Refusal{502, "Bad Gateway",
                        "cannot connect to " +
                            (upstream_proxy ? "the upstream proxy" : destination.hostPort()),
                        Outcome::kFailed};
            co_return state.refusal->outcome;
        }
        upstream->set_option(tcp::no_delay(true), ec);

        if (tunnel && upstream_proxy) {
            if (!co_await openUpstreamTunnel(*upstream, destination, *upstream_proxy, state)) {
                co_return state.refusal->outcome;
            }
        }
        if (tunnel) {
            const auto established = statusLine(200, "Connection established") + "\r\n";
            co_await asio::async_write(*client, asio::buffer(established),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return Outcome::kFailed;
            }
        } else {
            co_await asio::async_write(*upstream, asio::buffer(forward_head),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return Outcome::kFailed;
            }
        }
        // Bytes the client sent after its request head (a TLS ClientHello, a request body).
        if (buffer.size() > 0) {
            co_await asio::async_write(*upstream, buffer.data(),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return Outcome::kFailed;
            }
            buffer.consume(buffer.size());
        }
        spdlog::info("PROXY_FORWARD kind={} destination={} via={}", tunnel ? "connect" : "http",
                     log::sanitize(destination.hostPort()),
                     upstream_proxy ? upstream_proxy->endpoint.hostPort() : std::string("direct"));
        co_await splice(client, upstream);
        co_return Outcome::kForwarded;
    }

    // CONNECT through the upstream proxy; false (and state.refusal) unless it answers 200.
    asio::awaitable<bool> openUpstreamTunnel(tcp::socket& upstream,
                                             const Destination& destination,
                                             const http::ProxyUrl& proxy,
                                             ConnectionState& state) {
        ErrorCode ec;
        state.scratch = "CONNECT " + destination.hostPort() +
                        " HTTP/1.1\r\nHost: " + destination.hostPort() + "\r\n";
        if (proxy.authorization) {
            state.scratch += "Proxy-Authorization: " + *proxy.authorization + "\r\n";
        }
        state.scratch += "\r\n";
        Deadline deadline(io, upstream, options.request_timeout);
        co_await asio::async_write(upstream, asio::buffer(state.scratch),
                                   asio::redirect_error(asio::use_awaitable, ec));
        beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::empty_body> parser;
        parser.header_limit(kMaxRequestHeaderBytes);
        parser.skip(true); // a successful CONNECT answer has no body
        if (!ec) {
            co_await bhttp::async_read_header(upstream, buffer, parser,
                                              asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            state.refusal = Refusal{502, "Bad Gateway", "the upstream proxy did not answer CONNECT",
                                    Outcome::kFailed};
            co_return false;
        }
        if (parser.get().result_int() != 200) {
            state.refusal = Refusal{502, "Bad Gateway",
                                    "the upstream proxy refused the tunnel with " +
                                        std::to_string(parser.get().result_int()),
                                    Outcome::kFailed};
            co_return false;
        }
        if (buffer.size() > 0) {
            state.refusal =
                Refusal{502, "Bad Gateway", "the upstream proxy sent data before the tunnel",
                        Outcome::kFailed};
            co_return false;
        }
        co_return true;
    }

    // Copies bytes both ways until both directions end or the connection stays idle too long.
    asio::awaitable<void> splice(std::shared_ptr<tcp::socket> client,
                                 std::shared_ptr<tcp::socket> upstream) {
        auto idle = std::make_shared<asio::steady_timer>(io);
        auto last_activity = std::make_shared<std::chrono::steady_clock::time_point>(
            std::chrono::steady_clock::now());
        auto remaining = std::make_shared<int>(2);
        auto done = std::make_shared<asio::steady_timer>(io, asio::steady_timer::time_point::max());
        auto pump = [this, last_activity, remaining,
                     done](std::shared_ptr<tcp::socket> from,
                           std::shared_ptr<tcp::socket> to) -> asio::awaitable<void> {
            std::array<char, kPumpBufferBytes> data{};
            for (;;) {
                ErrorCode ec;
                const auto n = co_await from->async_read_some(
                    asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
                if (ec || n == 0) {
                    break;
                }
                *last_activity = std::chrono::steady_clock::now();
                co_await asio::async_write(*to, asio::buffer(data.data(), n),
                                           asio::redirect_error(asio::use_awaitable, ec));
                if (ec) {
                    break;
                }
            }
            ErrorCode ignored;
            to->shutdown(tcp::socket::shutdown_send, ignored);
            if (--*remaining == 0) {
                done->cancel();
            }
        };
        asio::co_spawn(io, pump(client, upstream), asio::detached);
        asio::co_spawn(io, pump(upstream, client), asio::detached);
        // Idle watchdog: wakes every so often; closes both sockets after idle_timeout of silence.
        const auto tick =
            std::min<std::chrono::milliseconds>(options.idle_timeout, std::chrono::seconds(5));
        for (;;) {
            ErrorCode ec;
            done->expires_after(tick);
            co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (*remaining == 0 || stopped) {
                break;
            }
            if (std::chrono::steady_clock::now() - *last_activity >= options.idle_timeout) {
                spdlog::info(
                    "PROXY_IDLE_TIMEOUT after={}s",
                    std::chrono::duration_cast<std::chrono::seconds>(options.idle_timeout).count());
                break;
            }
        }
        ErrorCode ignored;
        client->close(ignored);
        upstream->close(ignored);
        // Let the pumps see the closed sockets and finish before the sockets go away.
        while (*remaining > 0) {
            ErrorCode ec;
            idle->expires_after(std::chrono::milliseconds(10));
            co_await idle->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    }
};

ProxyListener::ProxyListener(asio::io_context& io, ProxyListenerOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

ProxyListener::~ProxyListener() {
    stop();
}

Result<std::uint16_t> ProxyListener::listen(const std::string& address, std::uint16_t port) {
    ErrorCode ec;
    const auto ip = asio::ip::make_address(address, ec);
    if (ec) {
        return makeError(exitcode::kInvalidArgument, "invalid listen address " + address);
    }
    auto acceptor = std::make_unique<tcp::acceptor>(impl_->io);
    const tcp::endpoint endpoint(ip, port);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec && ip.is_v6()) {
        acceptor->set_option(asio::ip::v6_only(true), ec);
    }
    if (!ec) {
        acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor->bind(endpoint, ec);
    }
    if (!ec) {
        acceptor->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return makeError(exitcode::kInitFailed, "cannot listen on " + address + ":" +
                                                    std::to_string(port) + ": " + ec.message());
    }
    const auto bound = acceptor->local_endpoint().port();
    auto& ref = *acceptor;
    impl_->acceptors.push_back(std::move(acceptor));
    asio::co_spawn(impl_->io, impl_->acceptLoop(ref), asio::detached);
    return bound;
}

void ProxyListener::stop() {
    if (!impl_ || impl_->stopped) {
        return;
    }
    impl_->stopped = true;
    ErrorCode ignored;
    for (auto& acceptor : impl_->acceptors) {
        acceptor->close(ignored);
    }
    const auto open = impl_->open_sockets; // closing may untrack while we iterate
    for (const auto& socket : open) {
        socket->close(ignored);
    }
}

ProxyCounters ProxyListener::counters() const {
    return impl_->counters;
}

} // namespace azcm::arcproxy
