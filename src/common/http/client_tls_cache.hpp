#pragma once
// Client TLS kept between calls. Every control-plane call used to build a new TLS context (reading
// the whole trust store again) and make a full handshake; an idle daemon's only network work is a
// long-poll or heartbeat repeated every minute, so that was most of its idle CPU. Now:
//
// - one context per trust store and client identity, reused until the trust-anchor file changes
//   (its path, size or modification time) or the client certificate or key does;
// - per server (host and port), the last resumable session that server gave, offered at the next
//   handshake with it. A resumed session skips the certificate exchange: its chain and host name
//   were verified when it was made, for that host and port only. A handshake that fails while a
//   session is offered forgets it, so the retry makes a full handshake.
//
// Process-wide and thread-safe; at most a few contexts are kept (least recently used goes first).
#include "common/error.hpp"
#include "common/http/https_client.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl/context.hpp>

struct ssl_st;
struct ssl_session_st;

namespace azcm::http {

class ClientTls {
public:
    explicit ClientTls(std::unique_ptr<boost::asio::ssl::context> context);
    ~ClientTls();
    ClientTls(const ClientTls&) = delete;
    ClientTls& operator=(const ClientTls&) = delete;
    ClientTls(ClientTls&&) = delete;
    ClientTls& operator=(ClientTls&&) = delete;

    boost::asio::ssl::context& context() { return *context_; }

    // Before the handshake: offers the session kept for `server` ("host:port"), if any.
    void offerSession(ssl_st* ssl, const std::string& server);
    // After a complete exchange: keeps the connection's session for `server` when resumable.
    void keepSession(ssl_st* ssl, const std::string& server);
    // After a failed handshake: the next one with `server` is a full handshake.
    void forgetSession(const std::string& server);

private:
    std::unique_ptr<boost::asio::ssl::context> context_;
    std::mutex mutex_;
    std::map<std::string, ssl_session_st*> sessions_;
};

// The context for these options: the cached one, or a new one (then cached).
Result<std::shared_ptr<ClientTls>> clientTlsFor(const ClientOptions& options);

// What the cache did since the process started (tests and benchmarks read it).
struct ClientTlsCounters {
    std::uint64_t contexts_made = 0;
    std::uint64_t handshakes = 0;
    std::uint64_t resumed = 0;
};
ClientTlsCounters clientTlsCounters();
// Called by HttpsClient after each successful handshake.
void countHandshake(bool resumed);

} // namespace azcm::http
