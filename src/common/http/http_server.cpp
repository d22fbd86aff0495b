#include "common/http/http_server.hpp"

#include "common/http/connection_slots.hpp"
#include "common/log/rate_limited_log.hpp"
#include "common/platform/local_listener.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

namespace azcm::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using LocalStream = platform::LocalStream;
using TlsStream = beast::ssl_stream<tcp::socket>;
using ErrorCode = boost::system::error_code;

// A closing connection keeps reading (and discarding) for a moment so that unread request bytes do
// not turn our close into a RST that would destroy the response the client has not yet read.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kMaxLingerBytes = std::size_t{1024} * 1024;
constexpr std::size_t kReadChunk = 4096;
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

template <class Stream> inline constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

void shutdownStream(tcp::socket& socket, asio::socket_base::shutdown_type what) {
    ErrorCode ignored;
    socket.shutdown(what, ignored);
}
void shutdownStream(LocalStream& stream, asio::socket_base::shutdown_type what) {
    platform::shutdownLocal(stream, what == asio::socket_base::shutdown_send);
}

class SessionBase {
public:
    SessionBase() = default;
    virtual ~SessionBase() = default;
    SessionBase(const SessionBase&) = delete;
    SessionBase& operator=(const SessionBase&) = delete;
    SessionBase(SessionBase&&) = delete;
    SessionBase& operator=(SessionBase&&) = delete;

    // Must run on executor().
    virtual void close() = 0;
    virtual asio::any_io_executor executor() = 0;
    // Before start(): the outcome of admission (a slot, or a refusal to answer).
    virtual void admitted(ConnectionSlots::Admission admission) = 0;
    virtual std::optional<std::uint32_t> peerUid() const = 0;
    virtual void start() = 0;
};

struct TcpListener {
    explicit TcpListener(const asio::any_io_executor& executor)
        : acceptor(executor), retry_timer(executor) {}
    tcp::acceptor acceptor;
    std::shared_ptr<asio::ssl::context> tls;
    asio::steady_timer retry_timer;
    std::string name;
};

struct LocalListenerState {
    LocalListenerState(const asio::any_io_executor& executor,
                       std::unique_ptr<platform::LocalListener> listener_in)
        : listener(std::move(listener_in)), retry_timer(executor) {}
    std::unique_ptr<platform::LocalListener> listener;
    asio::steady_timer retry_timer;
    // Out of descriptors, accept fails every retry: a few lines a minute say so.
    log::RateLimitedLog accept_errors;
};

std::string describe(const ErrorCode& ec) {
    return ec.message();
}

class ServerCore : public std::enable_shared_from_this<ServerCore> {
public:
    ServerCore(asio::any_io_executor executor_in,
               Handler handler_in,
               ServerLimits limits_in,
               PeerUidLookup lookup)
        : executor(std::move(executor_in)), handler(std::move(handler_in)), limits(limits_in),
          slots(ConnectionSlots::create(
              "http",
              {limits.max_connections, limits.max_connections_per_uid, limits.retry_after},
              std::move(lookup))) {}

    bool isStopped() const { return stopped.load(); }

    // Registers a live session so that stop() can close it; refused once stopped. Slots (the
    // connection limits) are ConnectionSlots' business.
    std::optional<std::uint64_t> registerSession(const std::weak_ptr<SessionBase>& session) {
        const std::lock_guard lock(mutex);
        if (stopped.load()) {
            return std::nullopt;
        }
        const auto id = next_session_id++;
        sessions.emplace(id, session);
        return id;
    }

    void unregisterSession(std::uint64_t id) {
        const std::lock_guard lock(mutex);
        sessions.erase(id);
    }

    std::vector<std::shared_ptr<SessionBase>> liveSessions() {
        const std::lock_guard lock(mutex);
        std::vector<std::shared_ptr<SessionBase>> out;
        for (const auto& [id, weak] : sessions) {
            if (auto session = weak.lock()) {
                out.push_back(std::move(session));
            }
        }
        return out;
    }

    void startTcpSession(tcp::socket socket, const std::shared_ptr<asio::ssl::context>& tls);
    void startLocalSession(LocalStream stream, platform::LocalPeer peer);
    template <class SessionType> void admitAndStart(const std::shared_ptr<SessionType>& session);

    asio::any_io_executor executor;
    Handler handler;
    ServerLimits limits;
    std::shared_ptr<ConnectionSlots> slots;
    std::atomic<bool> stopped{false};
    std::mutex mutex;
    std::uint64_t next_session_id = 0;
    std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
    std::vector<std::shared_ptr<TcpListener>> tcp_listeners;
    std::vector<std::shared_ptr<LocalListenerState>> local_listeners;
};

// One connection: reads requests one after another (keep-alive), hands each to the handler and
// writes its answer. Every wait on the network has a deadline through timer_.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
public:
    Session(std::shared_ptr<ServerCore> server, Stream stream, PeerInfo peer)
        : server_(std::move(server)), stream_(std::move(stream)),
          timer_(beast::get_lowest_layer(stream_).get_executor()), peer_(std::move(peer)) {}

    // For TLS: the stream is built here because ssl_stream needs the context.
    Session(std::shared_ptr<ServerCore> server,
            tcp::socket socket,
            std::shared_ptr<asio::ssl::context> tls,
            PeerInfo peer)
        : server_(std::move(server)), tls_(std::move(tls)), stream_(std::move(socket), *tls_),
          timer_(beast::get_lowest_layer(stream_).get_executor()), peer_(std::move(peer)) {}

    ~Session() override {
        if (id_) {
            server_->unregisterSession(*id_);
        }
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    Session(Session&&) = delete;
    Session& operator=(Session&&) = delete;

    asio::any_io_executor executor() override {
        return beast::get_lowest_layer(stream_).get_executor();
    }

    void close() override { closeNow(); }

    void admitted(ConnectionSlots::Admission admission) override {
        slot_ = std::move(admission.slot);
        refusal_ = std::move(admission.refusal);
        retry_after_ = admission.retry_after;
    }

    std::optional<std::uint32_t> peerUid() const override { return peer_.uid; }

    // Runs on the session's executor.
    void start() override {
        id_ = server_->registerSession(this->weak_from_this());
        if (!id_ || (!slot_ && !refusal_)) {
            closeNow(); // stopped, or refused with too many refusals already being answered
            return;
        }
        if constexpr (kIsTls<Stream>) {
            armTimer(server_->limits.request_timeout);
            stream_.async_handshake(
                asio::ssl::stream_base::server,
                [self = this->shared_from_this()](const ErrorCode& ec) { self->onHandshake(ec); });
        } else {
            waitForRequest(true);
        }
    }

private:
    std::string peerName() const {
        if (peer_.uid) {
            return "uid:" + std::to_string(*peer_.uid);
        }
        return peer_.remote_address;
    }

    void onHandshake(const ErrorCode& ec) {
        if (closed_) {
            return;
        }
        if (ec) {
            spdlog::debug("HTTP_TLS_HANDSHAKE_FAILED peer={} error={}", peerName(), describe(ec));
            closeNow();
            return;
        }
        if (!slot_) {
            answerRefusal();
            return;
        }
        if constexpr (kIsTls<Stream>) {
            SSL* ssl = stream_.native_handle();
            X509* certificate = SSL_get1_peer_certificate(ssl);
            if (certificate != nullptr) {
                if (SSL_get_verify_result(ssl) == X509_V_OK) {
                    const int length = i2d_X509(certificate, nullptr);
                    if (length > 0) {
                        std::string der(static_cast<std::size_t>(length), '\0');
                        auto* out = reinterpret_cast<unsigned char*>(der.data());
                        if (i2d_X509(certificate, &out) == length) {
                            peer_.client_certificate_der = std::move(der);
                        }
                    }
                }
                X509_free(certificate);
            }
        }
        waitForRequest(true);
    }

    // No slot is free: 503 with Retry-After instead of a silent close, without reading the
    // request (the linger that follows discards it).
    void answerRefusal() {
        Response response{Status::service_unavailable, 11};
        response.set(Field::content_type, "application/json; charset=utf-8");
        response.set(Field::retry_after, std::to_string(retry_after_.count()));
        response.body() = R"({"error":"service_unavailable","error_description":")"
                          R"(Too many connections; retry after the time in Retry-After."})";
        writeResponse(std::move(response), true);
    }

    // Waits for the first byte of the next request: the first request of a connection must come
    // within request_timeout, later ones within idle_timeout.
    void waitForRequest(bool first) {
        if (closed_) {
            return;
        }
        if constexpr (!kIsTls<Stream>) {
            if (first && !slot_) {
                answerRefusal();
                return;
            }
        }
        if (buffer_.size() > 0) {
            readRequest();
            return;
        }
        if (!first) {
            // Answered and waiting: the connection may give its slot to a newcomer.
            slot_->setIdle(true);
        }
        armTimer(first ? server_->limits.request_timeout : server_->limits.idle_timeout);
        stream_.async_read_some(
            buffer_.prepare(kReadChunk),
            [self = this->shared_from_this()](const ErrorCode& ec, std::size_t bytes) {
                self->onFirstBytes(ec, bytes);
            });
    }

    void onFirstBytes(const ErrorCode& ec, std::size_t bytes) {
        if (closed_) {
            return;
        }
        slot_->setIdle(false);
        if (ec) {
            closeNow();
            return;
        }
        buffer_.commit(bytes);
        readRequest();
    }

    void readRequest() {
        parser_.emplace();
        parser_->header_limit(server_->limits.max_header_bytes);
        parser_->body_limit(server_->limits.max_body_bytes);
        armTimer(server_->limits.request_timeout);
        beast_http::async_read(stream_, buffer_, *parser_,
                               [self = this->shared_from_this()](const ErrorCode& ec, std::size_t) {
                                   self->onRead(ec);
                               });
    }

    void onRead(const ErrorCode& ec) {
        if (closed_) {
            return;
        }
        if (ec) {
            if (ec == beast_http::error::header_limit) {
                sendError(Status::request_header_fields_too_large);
            } else if (ec == beast_http::error::body_limit) {
                sendError(Status::payload_too_large);
            } else if (ec == beast_http::error::end_of_stream ||
                       ec == beast_http::error::partial_message ||
                       ec.category() !=
                           beast_http::make_error_code(beast_http::error::bad_method).category()) {
                closeNow();
            } else {
                spdlog::debug("HTTP_BAD_REQUEST peer={} error={}", peerName(), describe(ec));
                sendError(Status::bad_request);
            }
            return;
        }
        // The handler may take its time; no network deadline runs while it works.
        timer_.cancel();
        Request request = parser_->release();
        parser_.reset();
        keep_alive_ = request.keep_alive();
        const unsigned version = request.version();

        auto responded = std::make_shared<std::atomic<bool>>(false);
        auto self = this->shared_from_this();
        Respond respond = [self, responded](Response&& response) {
            if (responded->exchange(true)) {
                spdlog::error("HTTP_ERROR handler answered a request twice; ignored");
                return;
            }
            asio::dispatch(self->executor(), [self, response = std::move(response)]() mutable {
                self->writeResponse(std::move(response), false);
            });
        };
        try {
            server_->handler(std::move(request), peer_, respond);
        } catch (const std::exception& e) {
            spdlog::error("HTTP_ERROR handler failed: {}", e.what());
            answerInternalError(responded, version);
        } catch (...) {
            spdlog::error("HTTP_ERROR handler failed with an unknown exception");
            answerInternalError(responded, version);
        }
    }

    void answerInternalError(const std::shared_ptr<std::atomic<bool>>& responded,
                             unsigned version) {
        if (responded->exchange(true)) {
            return;
        }
        Response response{Status::internal_server_error, version};
        response.set(Field::content_type, "text/plain; charset=utf-8");
        response.body() = "internal error\n";
        writeResponse(std::move(response), true);
    }

    void sendError(Status status) {
        Response response{status, 11};
        response.set(Field::content_type, "text/plain; charset=utf-8");
        response.body() = std::string(beast_http::obsolete_reason(status)) + "\n";
        writeResponse(std::move(response), true);
    }

    void writeResponse(Response&& response, bool force_close) {
        if (closed_) {
            return;
        }
        const bool keep =
            !force_close && keep_alive_ && response.keep_alive() && !server_->isStopped();
        response.set(Field::server, "azcm");
        response.keep_alive(keep);
        response.prepare_payload();
        response_.emplace(std::move(response));
        armTimer(server_->limits.request_timeout);
        beast_http::async_write(stream_, *response_,
                                [self = this->shared_from_this(), keep](
                                    const ErrorCode& ec, std::size_t) { self->onWrite(ec, keep); });
    }

    void onWrite(const ErrorCode& ec, bool keep) {
        response_.reset();
        if (closed_) {
            return;
        }
        if (ec) {
            closeNow();
            return;
        }
        if (!keep) {
            closeGracefully();
            return;
        }
        waitForRequest(false);
    }

    void closeGracefully() {
        armTimer(std::min<std::chrono::steady_clock::duration>(server_->limits.request_timeout,
                                                               kLingerTime));
        if constexpr (kIsTls<Stream>) {
            stream_.async_shutdown(
                [self = this->shared_from_this()](const ErrorCode&) { self->closeNow(); });
        } else {
            shutdownStream(beast::get_lowest_layer(stream_), asio::socket_base::shutdown_send);
            buffer_.consume(buffer_.size());
            linger();
        }
    }

    void linger() {
        beast::get_lowest_layer(stream_).async_read_some(
            buffer_.prepare(kReadChunk),
            [self = this->shared_from_this()](const ErrorCode& ec, std::size_t bytes) {
                self->lingered_bytes_ += bytes;
                if (ec || self->closed_ || self->lingered_bytes_ > kMaxLingerBytes) {
                    self->closeNow();
                    return;
                }
                self->linger();
            });
    }

    void armTimer(std::chrono::steady_clock::duration timeout) {
        timer_.expires_after(timeout);
        timer_.async_wait([weak = this->weak_from_this()](const ErrorCode& ec) {
            if (ec) {
                return;
            }
            if (auto self = weak.lock()) {
                self->onTimer();
            }
        });
    }

    void onTimer() {
        // A wait that completed just before the timer was re-armed must not close the connection.
        if (closed_ || timer_.expiry() > std::chrono::steady_clock::now()) {
            return;
        }
        spdlog::debug("HTTP_TIMEOUT peer={}", peerName());
        closeNow();
    }

    void closeNow() {
        if (closed_) {
            return;
        }
        closed_ = true;
        timer_.cancel();
        ErrorCode ignored;
        auto& socket = beast::get_lowest_layer(stream_);
        shutdownStream(socket, asio::socket_base::shutdown_both);
        socket.close(ignored);
        slot_.reset();
        refusal_.reset();
    }

    std::shared_ptr<ServerCore> server_;
    std::shared_ptr<asio::ssl::context> tls_; // outlives stream_ (declared before it)
    Stream stream_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
    std::optional<Response> response_;
    PeerInfo peer_;
    std::optional<std::uint64_t> id_;
    std::unique_ptr<ConnectionSlots::Slot> slot_;
    std::unique_ptr<ConnectionSlots::Refusal> refusal_; // while a refusal is answered
    std::chrono::seconds retry_after_{0};
    bool closed_ = false;
    bool keep_alive_ = false;
    std::size_t lingered_bytes_ = 0;
};

std::string endpointText(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    if (address.is_v6()) {
        return "[" + address.to_string() + "]:" + std::to_string(endpoint.port());
    }
    return address.to_string() + ":" + std::to_string(endpoint.port());
}

// Admission runs on the accepting thread, before the session's first step; an evicted session
// is closed on its own executor.
template <class SessionType>
void ServerCore::admitAndStart(const std::shared_ptr<SessionType>& session) {
    std::weak_ptr<SessionBase> weak = session;
    session->admitted(slots->admit(session->peerUid(), [weak] {
        if (auto victim = weak.lock()) {
            asio::dispatch(victim->executor(), [victim] { victim->close(); });
        }
    }));
    asio::dispatch(session->executor(), [session] { session->start(); });
}

void ServerCore::startTcpSession(tcp::socket socket,
                                 const std::shared_ptr<asio::ssl::context>& tls) {
    PeerInfo peer;
    ErrorCode ec;
    const auto remote = socket.remote_endpoint(ec);
    const auto local = ec ? tcp::endpoint() : socket.local_endpoint(ec);
    if (ec) {
        return; // already gone
    }
    const auto identity = slots->identifyTcpPeer(local, remote);
    if (identity.gone) {
        return; // the client closed its socket before we asked: nobody to answer
    }
    peer.uid = identity.uid;
    peer.remote_address = endpointText(remote);
    if (tls) {
        admitAndStart(std::make_shared<Session<TlsStream>>(shared_from_this(), std::move(socket),
                                                           tls, std::move(peer)));
    } else {
        admitAndStart(std::make_shared<Session<tcp::socket>>(shared_from_this(), std::move(socket),
                                                             std::move(peer)));
    }
}

void ServerCore::startLocalSession(LocalStream stream, platform::LocalPeer local) {
    PeerInfo peer;
    peer.uid = platform::connectionKeyOf(local);
    peer.remote_address = "local:pid:" + std::to_string(local.pid);
    peer.local = std::move(local);
    admitAndStart(std::make_shared<Session<LocalStream>>(shared_from_this(), std::move(stream),
                                                         std::move(peer)));
}

void acceptTcp(const std::shared_ptr<ServerCore>& core,
               const std::shared_ptr<TcpListener>& listener);
void acceptLocal(const std::shared_ptr<ServerCore>& core,
                 const std::shared_ptr<LocalListenerState>& listener);

template <class Listener, class Again>
void retryAcceptLater(const std::shared_ptr<ServerCore>& core,
                      const std::shared_ptr<Listener>& listener,
                      Again again) {
    listener->retry_timer.expires_after(kAcceptRetryDelay);
    listener->retry_timer.async_wait([core, listener, again](const ErrorCode& ec) {
        if (!ec && !core->isStopped()) {
            again(core, listener);
        }
    });
}

void acceptTcp(const std::shared_ptr<ServerCore>& core,
               const std::shared_ptr<TcpListener>& listener) {
    listener->acceptor.async_accept(
        asio::any_io_executor(asio::make_strand(core->executor)),
        [core, listener](const ErrorCode& ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || core->isStopped()) {
                return;
            }
            if (ec) {
                // For example EMFILE: pause instead of spinning.
                spdlog::warn("HTTP_ERROR accept on {} failed: {}", listener->name, describe(ec));
                retryAcceptLater(core, listener, acceptTcp);
                return;
            }
            // Answers are written whole; Nagle would only hold back the last segment.
            ErrorCode ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            try {
                core->startTcpSession(std::move(socket), listener->tls);
            } catch (const std::exception& e) {
                spdlog::error("HTTP_ERROR cannot start a session on {}: {}", listener->name,
                              e.what());
            }
            acceptTcp(core, listener);
        });
}

void acceptLocal(const std::shared_ptr<ServerCore>& core,
                 const std::shared_ptr<LocalListenerState>& listener) {
    listener->listener->asyncAccept(
        asio::any_io_executor(asio::make_strand(core->executor)),
        [core, listener](const ErrorCode& ec, LocalStream stream,
                         Result<platform::LocalPeer> peer) {
            if (ec == asio::error::operation_aborted || core->isStopped()) {
                return;
            }
            if (ec) {
                if (const auto suppressed = listener->accept_errors.admit()) {
                    spdlog::warn("HTTP_ERROR accept on {} failed: {} suppressed={}",
                                 listener->listener->name(), describe(ec), *suppressed);
                }
                retryAcceptLater(core, listener, acceptLocal);
                return;
            }
            if (!peer) {
                // Privileged routes depend on the peer's identity: no credentials, no service.
                spdlog::warn("HTTP_ERROR no peer credentials: {}", peer.error().message);
            } else {
                try {
                    core->startLocalSession(std::move(stream), std::move(peer).value());
                } catch (const std::exception& e) {
                    spdlog::error("HTTP_ERROR cannot start a session on {}: {}",
                                  listener->listener->name(), e.what());
                }
            }
            acceptLocal(core, listener);
        });
}

Error listenError(const std::string& what, const std::string& why) {
    return makeError(exitcode::kGeneric, "cannot listen on " + what + ": " + why);
}

} // namespace

struct HttpServer::Impl : ServerCore {
    using ServerCore::ServerCore;
};

HttpServer::HttpServer(boost::asio::any_io_executor executor,
                       Handler handler,
                       ServerLimits limits,
                       PeerUidLookup lookup)
    : impl_(std::make_shared<Impl>(
          std::move(executor), std::move(handler), limits, std::move(lookup))) {}

HttpServer::~HttpServer() {
    stop();
}

Result<std::uint16_t> HttpServer::listenTcp(const std::string& address, std::uint16_t port) {
    return listenTls(address, port, nullptr);
}

Result<std::uint16_t> HttpServer::listenTls(const std::string& address,
                                            std::uint16_t port,
                                            std::shared_ptr<boost::asio::ssl::context> tls) {
    const std::string what = address + ":" + std::to_string(port);
    if (impl_->isStopped()) {
        return listenError(what, "the server is stopped");
    }
    ErrorCode ec;
    const auto ip = asio::ip::make_address(address, ec);
    if (ec) {
        return makeError(exitcode::kInvalidArgument, "invalid listen address '" + address + "'");
    }
    const tcp::endpoint endpoint(ip, port);
    auto listener = std::make_shared<TcpListener>(impl_->executor);
    auto& acceptor = listener->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec && ip.is_v6()) {
        acceptor.set_option(asio::ip::v6_only(true), ec);
    }
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return listenError(what, describe(ec));
    }
    const auto bound = acceptor.local_endpoint(ec);
    if (ec) {
        return listenError(what, describe(ec));
    }
    listener->tls = std::move(tls);
    listener->name = endpointText(bound);
    spdlog::info("HTTP_LISTENING address={} tls={}", listener->name,
                 listener->tls ? "true" : "false");
    {
        const std::lock_guard lock(impl_->mutex);
        impl_->tcp_listeners.push_back(listener);
    }
    acceptTcp(impl_, listener);
    return bound.port();
}

Result<void> HttpServer::listenLocal(const std::filesystem::path& endpoint,
                                     platform::FileMode mode) {
    if (impl_->isStopped()) {
        return listenError(endpoint.string(), "the server is stopped");
    }
    BOOST_OUTCOME_TRY(bound, platform::LocalListener::listen(impl_->executor, endpoint, mode));
    auto listener = std::make_shared<LocalListenerState>(impl_->executor, std::move(bound));
    spdlog::info("HTTP_LISTENING local={} mode={:o}", listener->listener->name(),
                 static_cast<unsigned>(mode));
    {
        const std::lock_guard lock(impl_->mutex);
        impl_->local_listeners.push_back(listener);
    }
    acceptLocal(impl_, listener);
    return ok();
}

void HttpServer::stop() {
    if (!impl_ || impl_->stopped.exchange(true)) {
        return;
    }
    std::vector<std::shared_ptr<TcpListener>> tcp_listeners;
    std::vector<std::shared_ptr<LocalListenerState>> local_listeners;
    {
        const std::lock_guard lock(impl_->mutex);
        tcp_listeners.swap(impl_->tcp_listeners);
        local_listeners.swap(impl_->local_listeners);
    }
    ErrorCode ignored;
    for (const auto& listener : tcp_listeners) {
        listener->acceptor.close(ignored);
        listener->retry_timer.cancel();
    }
    for (const auto& listener : local_listeners) {
        listener->retry_timer.cancel();
        listener->listener->close();
    }
    for (auto& session : impl_->liveSessions()) {
        auto executor = session->executor();
        asio::dispatch(executor, [session] { session->close(); });
    }
    spdlog::info("HTTP_STOPPED");
}

} // namespace azcm::http
