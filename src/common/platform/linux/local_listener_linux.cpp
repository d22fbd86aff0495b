// The control channel on Linux: a Unix stream socket in a directory only its account can change.
#include "common/fs/atomic_file.hpp"
#include "common/platform/accounts.hpp"
#include "common/platform/linux/local_server_check.hpp"
#include "common/platform/local_listener.hpp"
#include "common/platform/local_socket.hpp"
#include "common/platform/private_directory.hpp"
#include "common/platform/process_identity.hpp"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

namespace azcm::platform {

namespace {

namespace asio = boost::asio;
using UnixProtocol = asio::local::stream_protocol;
using ErrorCode = boost::system::error_code;

Error listenError(const std::string& what, const std::string& why) {
    return makeError(exitcode::kGeneric, "cannot listen on " + what + ": " + why);
}

// The socket's directory decides who can replace the socket or its lock: it is opened without
// following links and must belong to this process's user and be writable by nobody else
// (PrivateDirectory), so each account that serves a socket has a directory of its own. A missing
// directory is created first (a sandbox; the package makes the installed ones).
Result<PrivateDirectory> openSocketDirectory(const std::filesystem::path& socket_path) {
    const auto parent =
        socket_path.parent_path().empty() ? std::filesystem::path(".") : socket_path.parent_path();
    std::error_code ec;
    if (std::filesystem::symlink_status(parent, ec).type() ==
        std::filesystem::file_type::not_found) {
        if (auto made = fs::ensureDirectory(parent, {0755, {}}); !made) {
            return listenError(socket_path.string(), made.error().message);
        }
    }
    auto directory = PrivateDirectory::open(parent);
    if (!directory) {
        return listenError(socket_path.string(), directory.error().message);
    }
    return directory;
}

// Under the lock: a socket left by a dead instance goes; anything else at that path stays.
Result<void> removeStaleSocket(const PrivateDirectory& directory,
                               const std::filesystem::path& socket_path) {
    const auto name = socket_path.filename().string();
    switch (directory.entryType(name)) {
    case EntryType::kMissing:
        return ok();
    case EntryType::kSocket:
        break;
    default:
        return listenError(socket_path.string(), "the path exists and is not a socket");
    }
    if (auto removed = directory.remove(name); !removed) {
        return listenError(socket_path.string(),
                           "cannot remove the stale socket: " + removed.error().message);
    }
    spdlog::info("HTTP_STALE_SOCKET_REMOVED socket={}", socket_path.string());
    return ok();
}

class UnixSocketListener final : public LocalListener {
public:
    UnixSocketListener(const asio::any_io_executor& executor,
                       std::filesystem::path path,
                       PrivateDirectory directory)
        : acceptor_(executor), path_(std::move(path)), name_(path_.string()),
          directory_(std::move(directory)) {}
    UnixSocketListener(const UnixSocketListener&) = delete;
    UnixSocketListener& operator=(const UnixSocketListener&) = delete;
    UnixSocketListener(UnixSocketListener&&) = delete;
    UnixSocketListener& operator=(UnixSocketListener&&) = delete;
    ~UnixSocketListener() override { close(); }

    Result<void> bind(FileHandle lock, FileMode mode) {
        // On failure the lock is released as `lock` goes out of scope.
        auto fail = [&](const std::string& why, bool bound) -> Result<void> {
            if (bound) {
                (void)directory_.remove(path_.filename().string());
            }
            return listenError(name_, why);
        };
        BOOST_OUTCOME_TRY(removeStaleSocket(directory_, path_));
        ErrorCode ec;
        acceptor_.open(UnixProtocol(), ec);
        if (ec) {
            return fail(ec.message(), false);
        }
        acceptor_.bind(UnixProtocol::endpoint(path_.string()), ec);
        if (ec) {
            return fail(ec.message(), false);
        }
        // Before listen(): nobody can connect while the socket still has the umask's mode.
        if (auto restricted = setLocalSocketMode(path_, mode); !restricted) {
            return fail(restricted.error().message, true);
        }
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            return fail(ec.message(), true);
        }
        lock_ = std::move(lock);
        bound_ = true;
        return ok();
    }

    void asyncAccept(const asio::any_io_executor& executor, AcceptHandler handler) override {
        acceptor_.async_accept(
            executor, [handler = std::move(handler)](const ErrorCode& ec,
                                                     UnixProtocol::socket socket) mutable {
                if (ec) {
                    handler(ec, std::move(socket), makeError(exitcode::kGeneric, ec.message()));
                    return;
                }
                auto peer = localPeerOf(socket.native_handle());
                handler(ec, std::move(socket), std::move(peer));
            });
    }

    void close() override {
        ErrorCode ignored;
        acceptor_.close(ignored);
        if (bound_) {
            bound_ = false;
            // Still ours: we hold the lock. Unlink first, then release the lock.
            (void)directory_.remove(path_.filename().string());
            lock_.close();
        }
    }

    const std::string& name() const override { return name_; }

private:
    UnixProtocol::acceptor acceptor_;
    std::filesystem::path path_;
    std::string name_;
    PrivateDirectory directory_;
    FileHandle lock_;
    bool bound_ = false;
};

} // namespace

Result<std::unique_ptr<LocalListener>> LocalListener::listen(const asio::any_io_executor& executor,
                                                             const std::filesystem::path& endpoint,
                                                             FileMode mode) {
    if (endpoint.string().size() > localSocketPathLimit()) {
        return listenError(endpoint.string(), "the path is too long for a Unix socket");
    }
    BOOST_OUTCOME_TRY(directory, openSocketDirectory(endpoint));
    // A lock file is honoured only when this account made it: one planted by another user is
    // refused, with its owner named, instead of keeping the daemon from starting unexplained.
    auto locked = directory.lockExclusive(endpoint.filename().string() + ".lock");
    if (!locked) {
        spdlog::error("HTTP_LOCK_REFUSED socket={} {}", endpoint.string(), locked.error().message);
        return listenError(endpoint.string(), locked.error().message);
    }
    auto listener = std::make_unique<UnixSocketListener>(executor, endpoint, std::move(directory));
    BOOST_OUTCOME_TRY(listener->bind(std::move(locked).value(), mode));
    return std::unique_ptr<LocalListener>(std::move(listener));
}

void shutdownLocal(LocalStream& stream, bool send_only) {
    ErrorCode ignored;
    stream.shutdown(send_only ? asio::socket_base::shutdown_send : asio::socket_base::shutdown_both,
                    ignored);
}

ExpectedServer expectedServerFor(const std::optional<std::string>& service_account) {
    ExpectedServer expected{{0}, "root"};
    if (service_account) {
        if (const auto uid = userId(*service_account)) {
            expected.uids.push_back(*uid);
        }
        expected.description += " or " + *service_account;
    }
    const auto self = effectiveUserId();
    if (std::find(expected.uids.begin(), expected.uids.end(), self) == expected.uids.end()) {
        expected.uids.push_back(self);
        expected.description += " or " + userName(self) + " (this user)";
    }
    return expected;
}

Result<void>
checkServer(const std::string& shown_endpoint, UserId server_uid, const ExpectedServer& expected) {
    if (std::find(expected.uids.begin(), expected.uids.end(), server_uid) != expected.uids.end()) {
        return ok();
    }
    return makeError(exitcode::kHimdsCommunication,
                     "refusing " + shown_endpoint + ": it is served by " + userName(server_uid) +
                         " (uid " + std::to_string(server_uid) + "), not by " +
                         expected.description +
                         "; another local user may have taken the socket's name");
}

Result<LocalStream> connectLocal(const asio::any_io_executor& executor,
                                 const std::filesystem::path& endpoint,
                                 const std::optional<std::string>& service_account,
                                 std::chrono::milliseconds /*busy_timeout*/) {
    if (endpoint.string().size() > localSocketPathLimit()) {
        return makeError(exitcode::kHimdsUnreachable, "socket path too long: " + endpoint.string());
    }
    LocalStream stream(executor);
    ErrorCode ec;
    // A Unix socket connects at once or fails at once (a full backlog: EAGAIN).
    stream.connect(UnixProtocol::endpoint(endpoint.string()), ec);
    if (ec) {
        return makeError(exitcode::kHimdsUnreachable, "cannot connect to " + endpoint.string() +
                                                          ": " + ec.message() +
                                                          " (is the daemon running?)");
    }
    const auto server = localPeerOf(stream.native_handle());
    if (!server) {
        return makeError(exitcode::kHimdsCommunication, "cannot tell who serves " +
                                                            endpoint.string() + ": " +
                                                            server.error().message);
    }
    BOOST_OUTCOME_TRY(
        checkServer(endpoint.string(), server.value().uid, expectedServerFor(service_account)));
    return stream;
}

} // namespace azcm::platform
