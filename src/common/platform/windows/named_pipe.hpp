#pragma once
// The daemons' local control channel on Windows: named pipes carrying the same byte stream (HTTP
// over a local stream) as the Unix sockets on Linux. Asio has no pipe acceptor, so the listener
// here creates the instances and accepts with an overlapped ConnectNamedPipe; each connection is
// a boost::asio::windows::stream_handle, an AsyncRead/WriteStream that Beast reads and writes.
// Beast's timeouts are socket-only: callers give each connection a steady_timer.
#include "common/error.hpp"
#include "common/platform/windows/pipe_security.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <boost/system/error_code.hpp>

namespace azcm::platform::windows {

// The longest pipe path Windows accepts, in UTF-16 units, "\\.\pipe\" included.
inline constexpr std::size_t kMaxPipePathLength = 256;

// "\\.\pipe\<name>" for a non-empty name without backslashes (Windows' only forbidden
// character there) or NUL that fits kMaxPipePathLength.
Result<std::wstring> pipePath(std::string_view name);

// The CreateNamedPipeW modes of an instance: duplex, overlapped, byte stream, local clients only,
// and FILE_FLAG_FIRST_PIPE_INSTANCE on the first one alone.
struct PipeInstanceModes {
    unsigned long open_mode = 0;
    unsigned long pipe_mode = 0;
};
PipeInstanceModes pipeInstanceModes(bool first_instance);

// Why the first instance could not be created. With FILE_FLAG_FIRST_PIPE_INSTANCE Windows says
// ERROR_ACCESS_DENIED when the name exists: someone else (or another copy of the daemon) serves
// it.
Error firstPipeInstanceError(std::wstring_view path, unsigned long win32_error);

struct PipeConnection {
    boost::asio::windows::stream_handle stream;
    PipePeer peer;
    // When the accept failed: what failed and the Win32 error's text, for the log.
    std::string error_detail;
};

// Serves one pipe name. Not thread-safe: use it from the executor's thread (or strand). The first
// instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE, so a name somebody else already serves is
// refused rather than shared; from then on the listener always keeps one instance waiting, so the
// name never lapses while the daemon runs.
class NamedPipeListener {
public:
    // On success `connection` holds the connected stream and the client's identity. Errors:
    // operation_aborted after close(); a Win32 error (system category) when the instance failed
    // or the client's identity could not be read (that client is then disconnected). Call
    // asyncAccept again for the next client in either case but the first.
    using AcceptHandler =
        std::function<void(const boost::system::error_code& error, PipeConnection connection)>;

    // `sddl`: the pipe's security descriptor (pipeSecurityDescriptorSddl).
    static Result<NamedPipeListener> listen(const boost::asio::any_io_executor& executor,
                                            std::string_view name,
                                            std::string_view sddl);

    // One accept at a time; a second one while the first waits completes with already_started.
    // The handler runs on the executor, never inside asyncAccept.
    void asyncAccept(AcceptHandler handler);
    // Cancels the waiting accept and closes the waiting instance; connections handed out stay.
    void close();
    const std::wstring& path() const;

    NamedPipeListener(NamedPipeListener&&) noexcept = default;
    NamedPipeListener& operator=(NamedPipeListener&& other) noexcept; // close()s this one first
    NamedPipeListener(const NamedPipeListener&) = delete;
    NamedPipeListener& operator=(const NamedPipeListener&) = delete;
    ~NamedPipeListener(); // close()s; a moved-from listener may only be destroyed or assigned

private:
    struct State;
    explicit NamedPipeListener(std::shared_ptr<State> state);
    std::shared_ptr<State> state_;
};

// Which accounts may serve a pipe (their token's user SIDs), and how to name them in a refusal.
struct ExpectedPipeServer {
    std::vector<std::string> user_sids;
    std::string description;
};

// Refuses a server whose user SID is not expected; the message names both.
Result<void> checkPipeServer(std::wstring_view path,
                             std::string_view server_user_sid,
                             const ExpectedPipeServer& expected);

// Opens the client end, waiting up to `busy_timeout` while every instance is busy, and returns it
// only once its server is one of `expected` (before a byte is sent: a request may carry a key).
// The open allows the server only SecurityIdentification: a rogue server could learn who called
// but never act as the caller. Errors: kHimdsUnreachable when nobody serves the name or it stays
// busy, kHimdsCommunication when the server is not the expected one.
Result<boost::asio::windows::stream_handle>
connectToPipe(const boost::asio::any_io_executor& executor,
              std::string_view name,
              const ExpectedPipeServer& expected,
              std::chrono::milliseconds busy_timeout);

} // namespace azcm::platform::windows
