#pragma once
// The forward proxy of arcproxy (127.0.0.1:40343 and [::1]:40343): HTTP CONNECT tunnels for
// HTTPS, and absolute-form `http://` requests, forwarded directly or through the upstream proxy
// (`proxy.url` / HTTPS_PROXY) in force. Destinations are checked (destination_policy.hpp) before
// any connection is made, and the upstream's credentials go only with what passed. Plain HTTP is
// parsed one request at a time, bodies by their length, so every request of a keep-alive
// connection is checked on its own. Every connection has a deadline to send its request head and
// to get connected, then an idle timeout; the number of connections is bounded, in total and per
// local user (http/connection_slots.hpp), and a refused connection gets 503 with Retry-After.
#include "arcproxy/destination_policy.hpp"
#include "common/error.hpp"
#include "common/http/connection_slots.hpp"
#include "common/http/proxy_url.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

namespace azcm::arcproxy {

struct ProxyListenerOptions {
    DestinationRules rules;
    std::uint32_t max_connections = 256;
    // Connections one local uid may hold (the owner of the client's socket, from the kernel).
    std::uint32_t max_connections_per_uid = 64;
    // Replaces the kernel's answer to "who owns this client" (tests).
    http::PeerUidLookup peer_uid_lookup;
    std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
    // The upstream proxy at the moment a request is checked (nullopt: direct). Called on the io
    // thread; a reload changes what it returns.
    std::function<std::optional<http::ProxyUrl>()> upstream;
    // The allow-list for the next request (allow_list.hpp), called on the io thread. Unset: no
    // destination is listed (a sandbox still reaches loopback).
    std::function<std::shared_ptr<const AllowList>()> allow_list;
};

struct ProxyCounters {
    std::uint64_t accepted = 0;
    std::uint64_t active = 0;
    std::uint64_t refused = 0;   // bad request, forbidden destination, too many connections
    std::uint64_t failed = 0;    // destination or upstream unreachable, or refused upstream
    std::uint64_t forwarded = 0; // tunnels and plain-HTTP requests that reached their destination
};

class ProxyListener {
public:
    ProxyListener(boost::asio::io_context& io, ProxyListenerOptions options);
    ~ProxyListener();
    ProxyListener(const ProxyListener&) = delete;
    ProxyListener& operator=(const ProxyListener&) = delete;
    ProxyListener(ProxyListener&&) = delete;
    ProxyListener& operator=(ProxyListener&&) = delete;

    // Binds address:port (0: a free port) and starts accepting; returns the bound port.
    Result<std::uint16_t> listen(const std::string& address, std::uint16_t port);
    // Closes the acceptors and every open connection (call on the io thread).
    void stop();
    ProxyCounters counters() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace azcm::arcproxy
