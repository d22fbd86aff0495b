#pragma once
// One HTTP/1.1 server for every listener of the suite: plain TCP (IMDS), TLS (emulator) and local
// control channels (Unix sockets, named pipes; with the peer's identity from the system). Each
// connection has a deadline; header and body sizes are bounded; connections are admitted by
// ConnectionSlots (a total, optionally a bound per peer uid, idle keep-alives evicted first, 503
// with Retry-After when none is free). stop() closes acceptors and every open connection so the
// io_context can return.
#include "common/error.hpp"
#include "common/http/connection_slots.hpp"
#include "common/http/http_types.hpp"
#include "common/platform/os_types.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

namespace azcm::http {

class HttpServer {
public:
    // `lookup` replaces the kernel's answer to "who owns this loopback client" (tests).
    HttpServer(boost::asio::any_io_executor executor,
               Handler handler,
               ServerLimits limits = {},
               PeerUidLookup lookup = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    HttpServer(HttpServer&&) = delete;
    HttpServer& operator=(HttpServer&&) = delete;

    // Binds address:port (port 0 picks a free one) and returns the bound port.
    Result<std::uint16_t> listenTcp(const std::string& address, std::uint16_t port);
    Result<std::uint16_t> listenTls(const std::string& address,
                                    std::uint16_t port,
                                    std::shared_ptr<boost::asio::ssl::context> tls);
    // The local control channel at `endpoint` (platform::LocalListener::listen says what Linux
    // and Windows make of the path and of `mode`).
    Result<void> listenLocal(const std::filesystem::path& endpoint, platform::FileMode mode);

    // Closes acceptors (removing Unix sockets and releasing their locks) and every open
    // connection, so run() can return. Call it on the executor's thread, or while the io_context
    // is not running; the destructor calls it too.
    void stop();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace azcm::http
