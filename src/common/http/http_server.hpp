#pragma once
// One HTTP/1.1 server for every listener of the suite: plain TCP (IMDS), TLS (emulator) and Unix
// sockets (local IPC, with the peer's kernel credentials). Each connection has a deadline; header
// and body sizes are bounded; connections are admitted by ConnectionSlots (a total, optionally a
// bound per peer uid, idle keep-alives evicted first, 503 with Retry-After when none is free).
// stop() closes acceptors and every open connection so the io_context can return.
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
    // The socket's directory (created 0755 when missing) must belong to this process's user and
    // be writable by nobody else, reached without a symbolic link (platform::PrivateDirectory).
    // Takes `<socket>.lock` (flock; a lock file another user made is refused and named) before
    // unlinking a stale socket, binds, then sets `mode`.
    Result<void> listenUnix(const std::filesystem::path& socket_path, platform::FileMode mode);

    // Closes acceptors (removing Unix sockets and releasing their locks) and every open
    // connection, so run() can return. Call it on the executor's thread, or while the io_context
    // is not running; the destructor calls it too.
    void stop();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace azcm::http
