#include "common/platform/windows/named_pipe.hpp"

#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>

#include <windows.h>

namespace azcm::platform::windows {

namespace asio = boost::asio;
using ErrorCode = boost::system::error_code;
using StreamHandle = asio::windows::stream_handle;

namespace {

constexpr std::wstring_view kPipePrefix = L"\\\\.\\pipe\\";
// Requests and answers are small; the buffers only size the kernel's queue.
constexpr DWORD kPipeBufferBytes = 64 * 1024;

ErrorCode win32Code(DWORD error) {
    return ErrorCode(static_cast<int>(error), boost::system::system_category());
}

// A handle not yet given to a stream_handle.
class OwnedHandle {
public:
    explicit OwnedHandle(HANDLE handle) : handle_(handle) {}
    OwnedHandle(const OwnedHandle&) = delete;
    OwnedHandle& operator=(const OwnedHandle&) = delete;
    ~OwnedHandle() {
        if (handle_ != INVALID_HANDLE_VALUE) {
            ::CloseHandle(handle_);
        }
    }
    HANDLE get() const { return handle_; }
    HANDLE release() { return std::exchange(handle_, INVALID_HANDLE_VALUE); }

private:
    HANDLE handle_;
};

// Registers the handle with the executor's completion port; the stream owns it from then on.
ErrorCode wrap(OwnedHandle& handle, StreamHandle& stream) {
    ErrorCode error;
    stream.assign(handle.get(), error);
    if (!error) {
        handle.release();
    }
    return error;
}

// One more instance of the pipe. Later instances need FILE_CREATE_PIPE_INSTANCE, which the DACL
// gives only to the service, SYSTEM and Administrators.
HANDLE createInstance(const std::wstring& path, const SecurityDescriptor& security, bool first) {
    SECURITY_ATTRIBUTES attributes{};
    attributes.nLength = sizeof attributes;
    attributes.lpSecurityDescriptor = security.get();
    attributes.bInheritHandle = FALSE;
    const auto modes = pipeInstanceModes(first);
    return ::CreateNamedPipeW(path.c_str(), modes.open_mode, modes.pipe_mode,
                              PIPE_UNLIMITED_INSTANCES, kPipeBufferBytes, kPipeBufferBytes, 0,
                              &attributes);
}

std::string narrow(std::wstring_view path) {
    auto text = toUtf8(path);
    return text ? std::move(text).value() : std::string("(pipe)");
}

} // namespace

Result<std::wstring> pipePath(std::string_view name) {
    const auto refuse = [&](const std::string& why) -> Result<std::wstring> {
        return makeError(exitcode::kInvalidArgument,
                         "invalid pipe name '" + std::string(name) + "': " + why);
    };
    if (name.empty()) {
        return refuse("it is empty");
    }
    if (name.find('\\') != std::string_view::npos) {
        return refuse("it contains a backslash");
    }
    if (name.find('\0') != std::string_view::npos) {
        return refuse("it contains a NUL character");
    }
    auto wide = toWide(name);
    if (!wide) {
        return refuse(wide.error().message);
    }
    std::wstring path(kPipePrefix);
    path += wide.value();
    if (path.size() > kMaxPipePathLength) {
        return refuse("\\\\.\\pipe\\ and the name are longer than " +
                      std::to_string(kMaxPipePathLength) + " characters");
    }
    return path;
}

PipeInstanceModes pipeInstanceModes(bool first_instance) {
    PipeInstanceModes modes;
    // Only the first instance may carry FILE_FLAG_FIRST_PIPE_INSTANCE: with it, an existing pipe
    // of that name (another server's) fails the call instead of gaining us as an instance.
    modes.open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
                      (first_instance ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    modes.pipe_mode = PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
    return modes;
}

Error firstPipeInstanceError(std::wstring_view path, unsigned long win32_error) {
    const std::string shown = narrow(path);
    if (win32_error == ERROR_ACCESS_DENIED || win32_error == ERROR_PIPE_BUSY) {
        return win32Error("cannot serve " + shown +
                              ": another process already serves a pipe of that name",
                          win32_error);
    }
    return win32Error("CreateNamedPipe " + shown, win32_error);
}

struct NamedPipeListener::State {
    State(asio::any_io_executor executor_in, std::wstring path_in, SecurityDescriptor security_in)
        : executor(std::move(executor_in)), path(std::move(path_in)),
          security(std::move(security_in)) {}

    asio::any_io_executor executor;
    std::wstring path;
    SecurityDescriptor security;
    // The instance a client can connect to next; empty only after close() or a failed create.
    std::optional<StreamHandle> waiting;
    bool accepting = false;
    bool closed = false;

    PipeConnection noConnection(std::string detail = {}) const {
        return PipeConnection{StreamHandle(executor), PipePeer{}, std::move(detail)};
    }

    // An instance for the next client; the error says why there is none.
    ErrorCode addWaitingInstance() {
        OwnedHandle handle(createInstance(path, security, false));
        if (handle.get() == INVALID_HANDLE_VALUE) {
            return win32Code(::GetLastError());
        }
        StreamHandle stream(executor);
        if (const auto error = wrap(handle, stream)) {
            return error;
        }
        waiting.emplace(std::move(stream));
        return {};
    }

    static void finishAccept(const std::shared_ptr<State>& state,
                             const ErrorCode& connect_error,
                             const AcceptHandler& handler);
};

NamedPipeListener::NamedPipeListener(std::shared_ptr<State> state) : state_(std::move(state)) {}

NamedPipeListener::~NamedPipeListener() {
    if (state_) {
        close();
    }
}

NamedPipeListener& NamedPipeListener::operator=(NamedPipeListener&& other) noexcept {
    if (this != &other) {
        if (state_) {
            close();
        }
        state_ = std::move(other.state_);
    }
    return *this;
}

Result<NamedPipeListener> NamedPipeListener::listen(const asio::any_io_executor& executor,
                                                    std::string_view name,
                                                    std::string_view sddl) {
    auto path = pipePath(name);
    if (!path) {
        return std::move(path).error();
    }
    auto security = SecurityDescriptor::fromSddl(sddl);
    if (!security) {
        return std::move(security).error();
    }
    OwnedHandle handle(createInstance(path.value(), security.value(), true));
    if (handle.get() == INVALID_HANDLE_VALUE) {
        return firstPipeInstanceError(path.value(), ::GetLastError());
    }
    auto state =
        std::make_shared<State>(executor, std::move(path).value(), std::move(security).value());
    StreamHandle stream(executor);
    if (const auto error = wrap(handle, stream)) {
        return makeError(exitcode::kGeneric, "cannot wait for clients of " + narrow(state->path) +
                                                 ": " + error.message());
    }
    state->waiting.emplace(std::move(stream));
    return NamedPipeListener(std::move(state));
}

const std::wstring& NamedPipeListener::path() const {
    return state_->path;
}

void NamedPipeListener::close() {
    state_->closed = true;
    if (state_->waiting) {
        ErrorCode ignored;
        // Closing the handle ends the pending ConnectNamedPipe; its handler reports
        // operation_aborted.
        state_->waiting->close(ignored);
        state_->waiting.reset();
    }
}

void NamedPipeListener::asyncAccept(AcceptHandler handler) {
    auto state = state_;
    const auto fail_soon = [&](ErrorCode error, std::string detail) {
        asio::post(state->executor,
                   [state, handler = std::move(handler), error, detail = std::move(detail)]() {
                       handler(error, state->noConnection(detail));
                   });
    };
    if (state->closed) {
        fail_soon(asio::error::operation_aborted, {});
        return;
    }
    if (state->accepting) {
        fail_soon(asio::error::already_started, {});
        return;
    }
    if (!state->waiting) {
        if (const auto error = state->addWaitingInstance()) {
            fail_soon(error, "CreateNamedPipe " + narrow(state->path) + ": " + error.message());
            return;
        }
    }
    state->accepting = true;
    asio::windows::overlapped_ptr overlapped(
        state->executor,
        [state, handler = std::move(handler)](const ErrorCode& error, std::size_t /*bytes*/) {
            state->accepting = false;
            State::finishAccept(state, error, handler);
        });
    const BOOL connected = ::ConnectNamedPipe(state->waiting->native_handle(), overlapped.get());
    const DWORD error = ::GetLastError();
    if (connected == FALSE && error == ERROR_PIPE_CONNECTED) {
        // The client came between CreateNamedPipe and now: no completion packet will follow.
        overlapped.complete(ErrorCode(), 0);
    } else if (connected == FALSE && error != ERROR_IO_PENDING) {
        overlapped.complete(win32Code(error), 0);
    } else {
        overlapped.release(); // the completion port delivers the result
    }
}

void NamedPipeListener::State::finishAccept(const std::shared_ptr<State>& state,
                                            const ErrorCode& connect_error,
                                            const AcceptHandler& handler) {
    if (state->closed || !state->waiting) {
        handler(asio::error::operation_aborted, state->noConnection());
        return;
    }
    StreamHandle connected = std::move(*state->waiting);
    state->waiting.reset();
    // The next instance exists before this one can close: while one instance is open the name
    // stays ours, and nobody else can create the pipe anew.
    const auto next_error = state->addWaitingInstance();
    if (connect_error) {
        ErrorCode ignored;
        connected.close(ignored);
        handler(connect_error, state->noConnection("ConnectNamedPipe " + narrow(state->path) +
                                                   ": " + connect_error.message()));
        return;
    }
    auto peer = pipeClientPeer(connected.native_handle());
    if (!peer) {
        // Routes depend on the client's identity: no identity, no service.
        ErrorCode ignored;
        connected.close(ignored);
        handler(win32Code(ERROR_ACCESS_DENIED),
                state->noConnection("cannot identify the client of " + narrow(state->path) + ": " +
                                    peer.error().message));
        return;
    }
    std::string detail;
    if (next_error) {
        detail = "no instance waits for the next client of " + narrow(state->path) + ": " +
                 next_error.message();
    }
    handler(ErrorCode(),
            PipeConnection{std::move(connected), std::move(peer).value(), std::move(detail)});
}

Result<void> checkPipeServer(std::wstring_view path,
                             std::string_view server_user_sid,
                             const ExpectedPipeServer& expected) {
    if (!server_user_sid.empty() && std::find(expected.user_sids.begin(), expected.user_sids.end(),
                                              server_user_sid) != expected.user_sids.end()) {
        return ok();
    }
    return makeError(exitcode::kHimdsCommunication,
                     "refusing " + narrow(path) + ": it is served by " +
                         std::string(server_user_sid) + ", not by " + expected.description +
                         "; another local account may have taken the pipe's name");
}

Result<StreamHandle> connectToPipe(const asio::any_io_executor& executor,
                                   std::string_view name,
                                   const ExpectedPipeServer& expected,
                                   std::chrono::milliseconds busy_timeout) {
    auto path = pipePath(name);
    if (!path) {
        return std::move(path).error();
    }
    const std::string shown = narrow(path.value());
    const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
    // GENERIC_READ | FILE_WRITE_DATA is exactly what the DACL gives readers (GENERIC_WRITE
    // would ask for FILE_CREATE_PIPE_INSTANCE too, and be denied). SECURITY_IDENTIFICATION: the
    // server may look at our token but cannot impersonate us.
    constexpr DWORD kAccess = GENERIC_READ | FILE_WRITE_DATA;
    constexpr DWORD kFlags = FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION;
    HANDLE raw = INVALID_HANDLE_VALUE;
    while (true) {
        raw = ::CreateFileW(path.value().c_str(), kAccess, 0, nullptr, OPEN_EXISTING, kFlags,
                            nullptr);
        if (raw != INVALID_HANDLE_VALUE) {
            break;
        }
        const DWORD error = ::GetLastError();
        if (error == ERROR_FILE_NOT_FOUND) {
            return makeError(exitcode::kHimdsUnreachable, "cannot connect to " + shown +
                                                              ": nobody serves it (is the daemon "
                                                              "running?)");
        }
        if (error != ERROR_PIPE_BUSY) {
            return makeError(exitcode::kHimdsUnreachable,
                             "cannot connect to " + shown + ": " + win32ErrorText(error));
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return makeError(exitcode::kHimdsUnreachable,
                             "cannot connect to " + shown + ": every instance stayed busy for " +
                                 std::to_string(busy_timeout.count()) + " ms");
        }
        // 0 would mean the pipe's default wait, not "no wait". A FALSE return (timeout, pipe
        // gone) is seen by the next CreateFileW.
        ::WaitNamedPipeW(path.value().c_str(), static_cast<DWORD>(std::clamp<std::int64_t>(
                                                   left.count(), 1, MAXDWORD - 1)));
    }
    OwnedHandle handle(raw);
    auto server = pipeServerUserSid(handle.get());
    if (!server) {
        return makeError(exitcode::kHimdsCommunication,
                         "cannot tell who serves " + shown + ": " + server.error().message);
    }
    if (auto checked = checkPipeServer(path.value(), server.value(), expected); !checked) {
        return std::move(checked).error();
    }
    StreamHandle stream(executor);
    if (const auto error = wrap(handle, stream)) {
        return makeError(exitcode::kHimdsCommunication,
                         "cannot use the connection to " + shown + ": " + error.message());
    }
    return stream;
}

} // namespace azcm::platform::windows
