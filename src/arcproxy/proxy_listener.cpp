#include "arcproxy/proxy_listener.hpp"

#include "common/http/url.hpp"
#include "common/log/log.hpp"

#include <array>
#include <limits>
#include <set>
#include <sstream>
#include <utility> // before Asio's awaitable.hpp (docs/toolchain-notes.md)
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
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
// Responses may carry long cookies and policy headers.
constexpr std::uint32_t kMaxResponseHeaderBytes = 64 * 1024;
constexpr std::size_t kPumpBufferBytes = std::size_t{16} * 1024;
// What a refused client may still send while its 503 goes out.
constexpr std::size_t kMaxDiscardedBytes = std::size_t{64} * 1024;
// Bodies are relayed piece by piece, never held, so their length is not limited. (Beast 1.74
// compares a Content-Length with an unset limit as "exceeded": the limit is the largest one.)
constexpr std::uint64_t kNoBodyLimit = std::numeric_limits<std::uint64_t>::max();

// Hop-by-hop and proxy headers a forwarded plain-HTTP message must not carry on (besides those
// its Connection header names). Expect is answered here: the body is relayed as it comes.
constexpr std::array kDroppedHeaders = {bhttp::field::proxy_authorization,
                                        bhttp::field::proxy_authenticate,
                                        bhttp::field::proxy_connection,
                                        bhttp::field::connection,
                                        bhttp::field::keep_alive,
                                        bhttp::field::te,
                                        bhttp::field::trailer,
                                        bhttp::field::upgrade,
                                        bhttp::field::expect};

// Removes the hop-by-hop headers of one message, and the ones its Connection header names.
template <class Fields> void dropHopByHopHeaders(Fields& fields) {
    std::vector<std::string> named;
    const auto [first, last] = fields.equal_range(bhttp::field::connection);
    for (auto value = first; value != last; ++value) {
        for (const auto& token : bhttp::token_list(value->value())) {
            named.emplace_back(token);
        }
    }
    for (const auto& name : named) {
        fields.erase(name);
    }
    for (const auto field : kDroppedHeaders) {
        fields.erase(field);
    }
}

// The authority of a plain-HTTP request as the destination sees it: the port only when not 80.
std::string httpAuthority(const Destination& destination) {
    if (destination.port != 80) {
        return destination.hostPort();
    }
    return destination.address && destination.address->is_v6() ? "[" + destination.host + "]"
                                                               : destination.host;
}

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

    // Which way a connection (or its last plain-HTTP request) ended, for the counters and the
    // log. kCounted: every request was counted as it was forwarded, nothing is left to count.
    enum class Outcome { kForwarded, kRefused, kFailed, kCounted };

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
        std::optional<Refusal> refusal;     // set when the connection is refused or fails early
        std::string target;                 // the request target, for the log
        std::string scratch;                // request heads written on
        beast::flat_buffer client_buffer;   // read from the client, not yet parsed
        beast::flat_buffer upstream_buffer; // read from the next hop, not yet parsed
        std::optional<bhttp::request_parser<bhttp::buffer_body>> request;
        std::optional<bhttp::response_parser<bhttp::buffer_body>> response;
        std::optional<bhttp::response_serializer<bhttp::buffer_body>> serializer;
        std::array<char, kPumpBufferBytes> body{}; // one piece of a relayed body
        Destination destination;                   // of the current request, checked
        std::string origin_target;                 // its path and query
        std::optional<http::ProxyUrl> proxy;       // the upstream for the current request
        std::vector<tcp::endpoint> first_hop;      // where to connect for it
        bool keep_alive = false; // the client's connection may carry another request
        std::string service;     // the port being resolved, as text
        std::shared_ptr<tcp::socket> client;
        std::shared_ptr<tcp::socket> upstream;
    };

    void count(Outcome outcome) {
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
        case Outcome::kCounted:
            break;
        }
    }

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

    // g++ 12 miscompiles coroutines that co_await inside a condition or keep objects that own
    // memory in nested scopes (a coroutine was seen reading a garbage reference): the coroutines
    // below await only in plain statements, and decisions that build strings are plain member
    // functions.

    // Refuses the current request: serve() logs it, answers it and closes the connection.
    Outcome refuse(ConnectionState& state,
                   int status,
                   std::string_view reason,
                   std::string_view message,
                   Outcome outcome = Outcome::kRefused) {
        state.refusal = Refusal{status, std::string(reason), std::string(message), outcome};
        return outcome;
    }

    void logForward(const char* kind, const ConnectionState& state) {
        spdlog::info("PROXY_FORWARD kind={} destination={} via={}", kind,
                     log::sanitize(state.destination.hostPort()),
                     state.proxy ? state.proxy->endpoint.hostPort() : std::string("direct"));
    }

    std::string nextHopName(const ConnectionState& state) const {
        return state.proxy ? std::string("the upstream proxy") : state.destination.hostPort();
    }

    // Reads the next request head into state.request; false when none came (a closed, silent or
    // broken client) or it is too long (then state.refusal is set).
    asio::awaitable<bool> readRequestHead(ConnectionState& state) {
        ErrorCode ec;
        state.request.emplace();
        state.request->header_limit(kMaxRequestHeaderBytes);
        state.request->body_limit(kNoBodyLimit);
        {
            Deadline deadline(io, *state.client, options.request_timeout);
            co_await bhttp::async_read_header(*state.client, state.client_buffer, *state.request,
                                              asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec == bhttp::error::header_limit) {
            refuse(state, 431, "Request Header Fields Too Large", "request head over 8 KiB");
        }
        co_return !ec;
    }

    asio::awaitable<Outcome> handle(std::shared_ptr<tcp::socket> client,
                                    std::shared_ptr<tcp::socket> upstream,
                                    ConnectionState& state) {
        state.client = std::move(client);
        state.upstream = std::move(upstream);
        const bool has_head = co_await readRequestHead(state);
        if (!has_head) {
            // A 431, or nothing sensible to answer a broken or silent client.
            co_return state.refusal ? state.refusal->outcome : Outcome::kRefused;
        }
        Outcome outcome = Outcome::kRefused;
        if (state.request->get().method() == bhttp::verb::connect) {
            outcome = co_await tunnel(state);
        } else {
            outcome = co_await forwardRequests(state);
        }
        co_return outcome;
    }

    // The checks before anything is resolved (destination_policy.hpp), and the upstream for the
    // request; an IP literal is its own first hop when there is no upstream.
    bool checkRequested(ConnectionState& state) {
        static const AllowList kNothingListed;
        const auto allow_list = options.allow_list ? options.allow_list() : nullptr;
        auto allowed = checkRequestedDestination(
            state.destination, allow_list ? *allow_list : kNothingListed, options.rules);
        if (!allowed) {
            refuse(state, 403, "Forbidden", allowed.error().message);
            return false;
        }
        state.proxy = options.upstream ? options.upstream() : std::nullopt;
        state.first_hop.clear();
        if (state.destination.address) {
            state.first_hop.emplace_back(*state.destination.address, state.destination.port);
        }
        return true;
    }

    // Every address a name resolved to here, checked also when the upstream proxy resolves the
    // name again: a listed name that resolves to a local address is refused either way.
    bool checkResolved(ConnectionState& state) {
        for (const auto& endpoint : state.first_hop) {
            auto allowed = checkDestinationAddress(endpoint.address(), options.rules);
            if (!allowed) {
                refuse(state, 403, "Forbidden",
                       state.destination.hostPort() + ": " + allowed.error().message);
                return false;
            }
        }
        return true;
    }

    // The policy for state.destination, then where to connect for it (state.proxy and
    // state.first_hop). false, with state.refusal set, when it is refused or cannot be reached.
    asio::awaitable<bool> route(ConnectionState& state) {
        if (!checkRequested(state)) {
            co_return false;
        }
        if (!state.destination.address) {
            const bool resolved =
                co_await resolve(state.destination.host, state.destination.port, state);
            if (resolved && !checkResolved(state)) {
                co_return false;
            }
            // A listed name that only the upstream proxy resolves goes there.
            if (!resolved && !state.proxy) {
                refuse(state, 502, "Bad Gateway", "cannot resolve " + state.destination.host,
                       Outcome::kFailed);
                co_return false;
            }
        }
        if (state.proxy) {
            const bool found =
                co_await resolve(state.proxy->endpoint.host, state.proxy->endpoint.port, state);
            if (!found) {
                refuse(state, 502, "Bad Gateway", "cannot resolve the upstream proxy",
                       Outcome::kFailed);
                co_return false;
            }
        }
        co_return true;
    }

    // Resolves host:port into state.first_hop (replacing it); false when it does not resolve in
    // time. The administrator's upstream proxy is resolved here too and never checked: it may
    // well be on loopback.
    asio::awaitable<bool>
    resolve(const std::string& host, std::uint16_t port, ConnectionState& state) {
        tcp::resolver resolver(io);
        asio::steady_timer timer(io);
        bool timed_out = false;
        timer.expires_after(options.request_timeout);
        timer.async_wait([&](const ErrorCode& timer_ec) {
            if (!timer_ec) {
                timed_out = true;
                resolver.cancel();
            }
        });
        state.service = std::to_string(port);
        ErrorCode ec;
        const auto results =
            co_await resolver.async_resolve(host, state.service, tcp::resolver::numeric_service,
                                            asio::redirect_error(asio::use_awaitable, ec));
        timer.cancel();
        state.first_hop.clear();
        if (timed_out || ec) {
            co_return false;
        }
        for (const auto& entry : results) {
            state.first_hop.push_back(entry.endpoint());
        }
        co_return !state.first_hop.empty();
    }

    asio::awaitable<bool> connectFirstHop(ConnectionState& state) {
        auto& upstream = *state.upstream;
        ErrorCode ec;
        upstream.close(ec);
        {
            Deadline deadline(io, upstream, options.request_timeout);
            co_await asio::async_connect(upstream, state.first_hop,
                                         asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            refuse(state, 502, "Bad Gateway", "cannot connect to " + nextHopName(state),
                   Outcome::kFailed);
            co_return false;
        }
        upstream.set_option(tcp::no_delay(true), ec);
        co_return true;
    }

    // The destination of a CONNECT; false with state.refusal when it is malformed.
    bool parseTunnelTarget(ConnectionState& state) {
        state.target = std::string(state.request->get().target());
        auto parsed = parseConnectAuthority(state.target);
        if (!parsed) {
            refuse(state, 400, "Bad Request", parsed.error().message);
            return false;
        }
        state.destination = std::move(parsed).value();
        return true;
    }

    // CONNECT: the policy, the tunnel (through the upstream proxy when there is one), then bytes
    // both ways unchanged.
    asio::awaitable<Outcome> tunnel(ConnectionState& state) {
        if (!parseTunnelTarget(state)) {
            co_return state.refusal->outcome;
        }
        const bool routed = co_await route(state);
        if (!routed) {
            co_return state.refusal->outcome;
        }
        const bool connected = co_await connectFirstHop(state);
        if (!connected) {
            co_return state.refusal->outcome;
        }
        if (state.proxy) {
            const bool opened = co_await openUpstreamTunnel(*state.upstream, state.destination,
                                                            *state.proxy, state);
            if (!opened) {
                co_return state.refusal->outcome;
            }
        }
        ErrorCode ec;
        state.scratch = statusLine(200, "Connection established") + "\r\n";
        co_await asio::async_write(*state.client, asio::buffer(state.scratch),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return Outcome::kFailed;
        }
        // Bytes the client sent right behind its CONNECT head (a TLS ClientHello) are the
        // tunnel's.
        if (state.client_buffer.size() > 0) {
            co_await asio::async_write(*state.upstream, state.client_buffer.data(),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return Outcome::kFailed;
            }
            state.client_buffer.consume(state.client_buffer.size());
        }
        logForward("connect", state);
        co_await splice(state.client, state.upstream);
        co_return Outcome::kForwarded;
    }

    // Plain HTTP: one request at a time, each checked and sent on a connection of its own with
    // its body relayed by its length; the next request is read only when this one is answered,
    // so nothing a client pipelines reaches a destination unchecked.
    asio::awaitable<Outcome> forwardRequests(ConnectionState& state) {
        for (;;) {
            const auto form = checkRequestForm(state);
            if (form) {
                co_return *form;
            }
            const bool routed = co_await route(state);
            if (!routed) {
                co_return state.refusal->outcome;
            }
            const bool connected = co_await connectFirstHop(state);
            if (!connected) {
                co_return state.refusal->outcome;
            }
            const auto outcome = co_await exchange(state);
            ErrorCode ignored;
            state.upstream->close(ignored);
            if (outcome != Outcome::kForwarded) {
                co_return outcome;
            }
            count(Outcome::kForwarded);
            if (!state.keep_alive || stopped) {
                co_return Outcome::kCounted;
            }
            const bool has_head = co_await readRequestHead(state);
            if (!has_head) {
                co_return state.refusal ? state.refusal->outcome : Outcome::kCounted;
            }
        }
    }

    // The form of a plain-HTTP request; sets state.destination and state.origin_target.
    std::optional<Outcome> checkRequestForm(ConnectionState& state) {
        const auto& request = state.request->get();
        state.target = std::string(request.target());
        if (request.method() == bhttp::verb::connect) {
            return refuse(state, 400, "Bad Request",
                          "CONNECT is accepted as the first request of a connection only");
        }
        auto url = http::parseUrl(state.target);
        if (!url || url.value().scheme != "http") {
            return refuse(state, 400, "Bad Request",
                          "only CONNECT and absolute http:// requests are forwarded");
        }
        if (url.value().port != 80 && !options.rules.allowed_ports.empty()) {
            return refuse(state, 403, "Forbidden", "plain HTTP is forwarded to port 80 only");
        }
        if (request.chunked()) {
            // Bodies are relayed by their Content-Length only.
            return refuse(state, 411, "Length Required",
                          "chunked request bodies are not forwarded");
        }
        auto destination = makeDestination(url.value().host, url.value().port);
        if (!destination) {
            return refuse(state, 400, "Bad Request", destination.error().message);
        }
        state.destination = std::move(destination).value();
        state.origin_target = url.value().target;
        return std::nullopt;
    }

    // The head sent on for the current request: hop-by-hop headers dropped, the host as checked,
    // the upstream's credentials only now that the policy has allowed the request.
    std::string forwardedHead(const ConnectionState& state) const {
        bhttp::request_header<> head = state.request->get().base();
        dropHopByHopHeaders(head);
        const auto authority = httpAuthority(state.destination);
        head.set(bhttp::field::host, authority);
        head.set(bhttp::field::connection, "close");
        if (state.proxy) {
            head.target("http://" + authority + state.origin_target);
            if (state.proxy->authorization) {
                head.set(bhttp::field::proxy_authorization, *state.proxy->authorization);
            }
        } else {
            head.target(state.origin_target);
        }
        std::ostringstream out;
        out << head;
        return out.str();
    }

    // A fresh parser for the next answer of the next hop.
    void expectResponse(ConnectionState& state, bool to_head_request) {
        state.serializer.reset();
        state.response.emplace();
        state.response->header_limit(kMaxResponseHeaderBytes);
        state.response->body_limit(kNoBodyLimit);
        state.response->skip(to_head_request);
    }

    // The answer's head as the client gets it; false (state.refusal) for one it must not get.
    bool prepareResponse(ConnectionState& state, bool client_keep_alive) {
        auto& response = *state.response;
        if (state.proxy && response.get().result_int() == 407) {
            refuse(state, 502, "Bad Gateway",
                   "the upstream proxy refused arcproxy's credentials (407)", Outcome::kFailed);
            return false;
        }
        dropHopByHopHeaders(response.get());
        state.keep_alive = client_keep_alive && !response.need_eof() && !stopped;
        response.get().keep_alive(state.keep_alive);
        state.serializer.emplace(response.get());
        logForward("http", state);
        return true;
    }

    // Sends the current request and relays its answer to the client; kForwarded with
    // state.keep_alive telling whether the client's connection may carry another request.
    asio::awaitable<Outcome> exchange(ConnectionState& state) {
        auto& client = *state.client;
        auto& upstream = *state.upstream;
        auto& request = *state.request;
        ErrorCode ec;
        const bool head_request = request.get().method() == bhttp::verb::head;
        const bool client_keep_alive = request.get().keep_alive();
        const bool expects_continue =
            beast::iequals(request.get()[bhttp::field::expect], "100-continue");
        state.scratch = forwardedHead(state);
        co_await asio::async_write(upstream, asio::buffer(state.scratch),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return refuse(state, 502, "Bad Gateway", "the request could not be sent on",
                             Outcome::kFailed);
        }
        if (!request.is_done() && expects_continue) {
            state.scratch = statusLine(100, "Continue") + "\r\n";
            co_await asio::async_write(client, asio::buffer(state.scratch),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return Outcome::kFailed;
            }
        }
        while (!request.is_done()) {
            request.get().body().data = state.body.data();
            request.get().body().size = state.body.size();
            {
                Deadline deadline(io, client, options.idle_timeout);
                co_await bhttp::async_read(client, state.client_buffer, request,
                                           asio::redirect_error(asio::use_awaitable, ec));
            }
            if (ec == bhttp::error::need_buffer) {
                ec = {};
            }
            if (ec) {
                co_return Outcome::kFailed;
            }
            const auto size = state.body.size() - request.get().body().size;
            co_await asio::async_write(upstream, asio::buffer(state.body.data(), size),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return refuse(state, 502, "Bad Gateway", "the request could not be sent on",
                                 Outcome::kFailed);
            }
        }
        // The answer; interim ones (100 Continue) were given to the client by us already.
        unsigned status = 0;
        while (status < 200) {
            expectResponse(state, head_request);
            {
                Deadline deadline(io, upstream, options.idle_timeout);
                co_await bhttp::async_read_header(upstream, state.upstream_buffer, *state.response,
                                                  asio::redirect_error(asio::use_awaitable, ec));
            }
            status = state.response->get().result_int();
            if (ec || status == 101) {
                co_return refuse(state, 502, "Bad Gateway", "no answer from " + nextHopName(state),
                                 Outcome::kFailed);
            }
        }
        if (!prepareResponse(state, client_keep_alive)) {
            co_return state.refusal->outcome;
        }
        auto& response = *state.response;
        auto& serializer = *state.serializer;
        if (response.is_done()) {
            co_await bhttp::async_write_header(client, serializer,
                                               asio::redirect_error(asio::use_awaitable, ec));
            co_return ec ? Outcome::kFailed : Outcome::kForwarded;
        }
        // Piece by piece (Beast's relay): a length-delimited body keeps its length, a chunked one
        // is chunked anew, one that ends with the connection ends the client's too.
        do {
            if (!response.is_done()) {
                response.get().body().data = state.body.data();
                response.get().body().size = state.body.size();
                {
                    Deadline deadline(io, upstream, options.idle_timeout);
                    co_await bhttp::async_read(upstream, state.upstream_buffer, response,
                                               asio::redirect_error(asio::use_awaitable, ec));
                }
                if (ec == bhttp::error::need_buffer) {
                    ec = {};
                }
                if (ec) {
                    co_return Outcome::kFailed; // cut short: the client sees the connection end
                }
                response.get().body().size = state.body.size() - response.get().body().size;
                response.get().body().data = state.body.data();
                response.get().body().more = !response.is_done();
            } else {
                response.get().body().data = nullptr;
                response.get().body().size = 0;
            }
            {
                Deadline deadline(io, client, options.idle_timeout);
                co_await bhttp::async_write(client, serializer,
                                            asio::redirect_error(asio::use_awaitable, ec));
            }
            if (ec == bhttp::error::need_buffer) {
                ec = {};
            }
            if (ec) {
                co_return Outcome::kFailed;
            }
        } while (!response.is_done() && !serializer.is_done());
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
        auto pump = [last_activity, remaining,
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
