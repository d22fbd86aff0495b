#include "common/http/client_tls_cache.hpp"

#include "common/crypto/certificate_policy.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/openssl_util.hpp"
#include "common/platform/trust_roots.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <utility>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace azcm::http {

namespace {

namespace ssl = boost::asio::ssl;
using ErrorCode = boost::system::error_code;

constexpr std::size_t kMaxContexts = 4;
// Servers one daemon talks to: the control plane's few hosts and package hosts.
constexpr std::size_t kMaxSessionsPerContext = 32;

std::atomic<std::uint64_t> contexts_made{0};
std::atomic<std::uint64_t> handshakes{0};
std::atomic<std::uint64_t> resumed_handshakes{0};

// Identifies a trust-anchor file's content well enough to notice a replaced or edited store.
std::string fileStamp(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        return path.string() + "|missing";
    }
    const auto written = std::filesystem::last_write_time(path, ec);
    if (ec) {
        return path.string() + "|unreadable";
    }
    return path.string() + "|" + std::to_string(size) + "|" +
           std::to_string(written.time_since_epoch().count());
}

std::string cacheKey(const ClientOptions& options) {
    // The system store is OpenSSL's default file (Debian: ca-certificates.crt) plus its hashed
    // directory, which is looked up per certificate and so always current.
    std::string key = options.ca_file.empty() ? "system|" + fileStamp(X509_get_default_cert_file())
                                              : "file|" + fileStamp(options.ca_file);
    if (options.client_certificate_pem || options.client_private_key_pem) {
        // A digest: the cache's keys never hold the private key itself.
        key += "|client|" +
               crypto::hexEncode(crypto::sha256(options.client_certificate_pem.value_or("") + "\n" +
                                                options.client_private_key_pem.value_or("")));
    }
    return key;
}

Result<std::unique_ptr<ssl::context>> makeContext(const ClientOptions& options) {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    ErrorCode ec;
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1,
                         ec);
    if (ec || SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
        return makeError(exitcode::kNetwork,
                         "cannot configure TLS: " + crypto::detail::opensslErrors());
    }
    // Sessions are kept by ClientTls, per server; OpenSSL's own client cache is not used.
    SSL_CTX_set_session_cache_mode(context->native_handle(), SSL_SESS_CACHE_OFF);
    // Peer verification with the certificate policy at every depth of the chain.
    crypto::installCertificatePolicy(context->native_handle());
    if (options.ca_file.empty()) {
        if (auto roots = platform::trustSystemRoots(context->native_handle()); !roots) {
            return makeError(exitcode::kNetwork,
                             "cannot load trust anchors: " + roots.error().message);
        }
    } else {
        context->load_verify_file(options.ca_file.string(), ec);
    }
    if (ec) {
        return makeError(
            exitcode::kNetwork,
            "cannot load trust anchors" +
                (options.ca_file.empty() ? std::string() : " from " + options.ca_file.string()) +
                ": " + ec.message());
    }
    if (options.client_certificate_pem.has_value() != options.client_private_key_pem.has_value()) {
        return makeError(exitcode::kInvalidArgument,
                         "a client certificate needs its private key and vice versa");
    }
    if (options.client_certificate_pem) {
        context->use_certificate_chain(boost::asio::buffer(*options.client_certificate_pem), ec);
        if (!ec) {
            context->use_private_key(boost::asio::buffer(*options.client_private_key_pem),
                                     ssl::context::pem, ec);
        }
        if (ec || SSL_CTX_check_private_key(context->native_handle()) != 1) {
            return makeError(exitcode::kNetwork,
                             "cannot use the client certificate and key: " +
                                 (ec ? ec.message() : crypto::detail::opensslErrors()));
        }
    }
    return context;
}

class ContextCache {
public:
    Result<std::shared_ptr<ClientTls>> get(const ClientOptions& options) {
        const std::string key = cacheKey(options);
        {
            const std::lock_guard lock(mutex_);
            const auto found =
                std::find_if(entries_.begin(), entries_.end(),
                             [&key](const auto& entry) { return entry.first == key; });
            if (found != entries_.end()) {
                auto entry = *found;
                entries_.erase(found);
                entries_.insert(entries_.begin(), entry); // most recently used first
                return entry.second;
            }
        }
        // Made outside the lock: reading a trust store takes milliseconds.
        BOOST_OUTCOME_TRY(context, makeContext(options));
        auto tls = std::make_shared<ClientTls>(std::move(context));
        contexts_made.fetch_add(1);
        const std::lock_guard lock(mutex_);
        std::erase_if(entries_, [&key](const auto& entry) { return entry.first == key; });
        entries_.insert(entries_.begin(), {key, tls});
        if (entries_.size() > kMaxContexts) {
            entries_.pop_back(); // in-flight calls keep theirs alive
        }
        return tls;
    }

private:
    std::mutex mutex_;
    std::vector<std::pair<std::string, std::shared_ptr<ClientTls>>> entries_;
};

ContextCache& processCache() {
    static ContextCache cache;
    return cache;
}

} // namespace

ClientTls::ClientTls(std::unique_ptr<ssl::context> context) : context_(std::move(context)) {}

ClientTls::~ClientTls() {
    for (const auto& [server, session] : sessions_) {
        SSL_SESSION_free(session);
    }
}

void ClientTls::offerSession(SSL* ssl, const std::string& server) {
    const std::lock_guard lock(mutex_);
    const auto found = sessions_.find(server);
    if (found != sessions_.end()) {
        SSL_set_session(ssl, found->second); // takes its own reference
    }
}

void ClientTls::keepSession(SSL* ssl, const std::string& server) {
    SSL_SESSION* current = SSL_get1_session(ssl);
    if (current == nullptr) {
        return;
    }
    // A copy: the connection is closed without close_notify (the response was complete), and
    // freeing such a connection marks its own session object as not resumable.
    SSL_SESSION* session =
        SSL_SESSION_is_resumable(current) == 1 ? SSL_SESSION_dup(current) : nullptr;
    SSL_SESSION_free(current);
    if (session == nullptr) {
        return;
    }
    const std::lock_guard lock(mutex_);
    auto [slot, inserted] = sessions_.try_emplace(server, session);
    if (!inserted) {
        SSL_SESSION_free(slot->second);
        slot->second = session;
    } else if (sessions_.size() > kMaxSessionsPerContext) {
        // Rare (a daemon talks to a handful of servers): start over rather than track age.
        for (auto it = sessions_.begin(); it != sessions_.end();) {
            if (it->first == server) {
                ++it;
                continue;
            }
            SSL_SESSION_free(it->second);
            it = sessions_.erase(it);
        }
    }
}

void ClientTls::forgetSession(const std::string& server) {
    const std::lock_guard lock(mutex_);
    const auto found = sessions_.find(server);
    if (found != sessions_.end()) {
        SSL_SESSION_free(found->second);
        sessions_.erase(found);
    }
}

Result<std::shared_ptr<ClientTls>> clientTlsFor(const ClientOptions& options) {
    return processCache().get(options);
}

ClientTlsCounters clientTlsCounters() {
    return {contexts_made.load(), handshakes.load(), resumed_handshakes.load()};
}

void countHandshake(bool resumed) {
    handshakes.fetch_add(1);
    if (resumed) {
        resumed_handshakes.fetch_add(1);
    }
}

} // namespace azcm::http
