#pragma once
// The daemons' local control channel (docs/architecture.md, docs/windows.md): a Unix socket on
// Linux, a named pipe on Windows. The HTTP server accepts on a LocalListener; the IPC client
// connects with connectLocal. Both ends learn who the other is from the operating system.
#include "common/error.hpp"
#include "common/platform/local_peer.hpp"
#include "common/platform/os_types.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#if defined(_WIN32)
#include <boost/asio/windows/stream_handle.hpp>
#else
#include <boost/asio/local/stream_protocol.hpp>
#endif

namespace azcm::platform {

#if defined(_WIN32)
using LocalStream = boost::asio::windows::stream_handle;
#else
using LocalStream = boost::asio::local::stream_protocol::socket;
#endif

class LocalListener {
public:
    // `peer` is what the operating system says of the client; an error when it would not say.
    using AcceptHandler = std::function<void(
        const boost::system::error_code& error, LocalStream stream, Result<LocalPeer> peer)>;

    // Serves `endpoint`, a socket path. Linux: its directory (created 0755 when missing) must
    // belong to this account and be writable by nobody else, reached without a symbolic link;
    // `<socket>.lock` is taken (a lock file another user made is refused and named) before a
    // stale socket is unlinked; the socket gets `mode` before anyone can connect. Windows: the
    // pipe named after the path (localPipeName), whose DACL admits every authenticated user when
    // `mode` lets others read and write, else only privileged accounts and the reader group.
    static Result<std::unique_ptr<LocalListener>>
    listen(const boost::asio::any_io_executor& executor,
           const std::filesystem::path& endpoint,
           FileMode mode);

    LocalListener() = default;
    LocalListener(const LocalListener&) = delete;
    LocalListener& operator=(const LocalListener&) = delete;
    LocalListener(LocalListener&&) = delete;
    LocalListener& operator=(LocalListener&&) = delete;
    virtual ~LocalListener() = default;

    // One accept at a time; the accepted stream runs on `executor`. After close(), the handler
    // gets operation_aborted.
    virtual void asyncAccept(const boost::asio::any_io_executor& executor,
                             AcceptHandler handler) = 0;
    // Stops accepting and gives the endpoint back (Linux: unlinks the socket, then releases the
    // lock).
    virtual void close() = 0;
    // For logs: the socket path or the pipe's name.
    virtual const std::string& name() const = 0;
};

// Ends our sending side (`send_only`) or both: Linux shuts the socket down; a pipe has no
// half-close, so on Windows the peer sees the end only when the stream is closed.
void shutdownLocal(LocalStream& stream, bool send_only);

// Connects to the daemon serving `endpoint` and checks, before a byte is sent, that it runs as an
// account expected there: the administrator's (root; LocalSystem), `service_account` when given
// (the daemon's own), or this process's own. Blocking: a local connect is immediate, or waits
// at most `busy_timeout` for a free pipe instance on Windows.
Result<LocalStream> connectLocal(const boost::asio::any_io_executor& executor,
                                 const std::filesystem::path& endpoint,
                                 const std::optional<std::string>& service_account,
                                 std::chrono::milliseconds busy_timeout);

} // namespace azcm::platform
