#include "common/http/https_client.hpp"

#include "common/agent_version.hpp"
#include "common/crypto/certificate_policy.hpp"
#include "common/crypto/openssl_util.hpp"
#include "common/http/client_tls_cache.hpp"
#include "common/http/proxy_url.hpp"

#include <charconv>
#include <random>
#include <thread>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

namespace azcm::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kMaxResponseHeaderBytes = 64 * 1024;

// The outcome of one attempt: a response, or an error that may or may not be worth retrying.
// The move assignment cannot throw: Response's is noexcept, and the throws the check finds are
// inside Beast's noexcept functions, which cannot leave them.
// NOLINTNEXTLINE(bugprone-exception-escape): noexcept move assignment, see above
struct Attempt {
    std::optional<Response> response;
    Error error;
    bool retryable = false;
};

Attempt transportFailure(std::string message, bool retryable = true) {
    Attempt attempt;
    attempt.error = makeError(exitcode::kNetwork, std::move(message));
    attempt.retryable = retryable;
    return attempt;
}

bool isRetryableStatus(unsigned status) {
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

bool isIpLiteral(const std::string& host) {
    ErrorCode ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

std::string hostHeader(const Url& url) {
    const bool default_port =
        (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80);
    if (default_port) {
        return url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    }
    return url.hostPort();
}

Result<void> checkHeader(const std::string& name, const std::string& value) {
    auto bad = [](const std::string& text) {
        return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos;
    };
    if (name.empty() || bad(name) || bad(value) || name.find(':') != std::string::npos) {
        return makeError(exitcode::kInvalidArgument, "invalid request header '" + name + "'");
    }
    return ok();
}

// Everything one attempt needs; lives on the stack of send() while the io_context runs.
class AttemptRunner {
public:
    AttemptRunner(const ClientOptions& options,
                  ClientTls& tls,
                  const Url& target,
                  const std::optional<ProxyUrl>& proxy,
                  const beast_http::request<beast_http::string_body>& request)
        : options_(options), tls_(tls), target_(target),
          proxy_(proxy ? std::optional<Url>(proxy->endpoint) : std::nullopt),
          proxy_authorization_(proxy ? proxy->authorization : std::nullopt), request_(request) {}

    Attempt run() {
        asio::io_context io;
        Attempt result = transportFailure("request did not complete");
        // io_context::stop() is thread-safe; the frames of an unfinished attempt are destroyed
        // with `io`. Detached before `io` goes (declared after it).
        struct CancelScope {
            explicit CancelScope(CancelSignal* cancel) : signal(cancel) {}
            CancelScope(const CancelScope&) = delete;
            CancelScope& operator=(const CancelScope&) = delete;
            CancelScope(CancelScope&&) = delete;
            CancelScope& operator=(CancelScope&&) = delete;
            ~CancelScope() {
                if (signal != nullptr) {
                    signal->detach();
                }
            }
            CancelSignal* signal;
        } scope{options_.cancel.get()};
        if (scope.signal != nullptr) {
            scope.signal->attach([&io] { io.stop(); });
        }
        asio::co_spawn(io, attempt(io),
                       [&result](const std::exception_ptr& error, Attempt attempt) {
                           if (error) {
                               try {
                                   std::rethrow_exception(error);
                               } catch (const std::exception& e) {
                                   result = transportFailure(e.what());
                               } catch (...) {
                                   // result keeps its "did not complete" error
                               }
                               return;
                           }
                           result = std::move(attempt);
                       });
        io.run();
        if (scope.signal != nullptr && scope.signal->cancelled()) {
            return transportFailure("the request to " + where() + " was cancelled", false);
        }
        return result;
    }

private:
    std::string where() const {
        return proxy_ ? target_.hostPort() + " via proxy " + proxy_->hostPort()
                      : target_.hostPort();
    }

    asio::awaitable<Attempt> attempt(asio::io_context& io) {
        try {
            co_return co_await exchange(io);
        } catch (const std::exception& e) {
            co_return transportFailure("request to " + where() + " failed: " + e.what());
        }
    }

    asio::awaitable<Attempt> exchange(asio::io_context& io) {
        ErrorCode ec;
        const Url& first_hop = proxy_ ? *proxy_ : target_;

        // Resolve, bounded by connect_timeout (the resolver has no deadline of its own).
        tcp::resolver resolver(io);
        asio::steady_timer resolve_timer(io);
        bool resolve_timed_out = false;
        resolve_timer.expires_after(options_.connect_timeout);
        resolve_timer.async_wait([&](const ErrorCode& timer_ec) {
            if (!timer_ec) {
                resolve_timed_out = true;
                resolver.cancel();
            }
        });
        const auto endpoints = co_await resolver.async_resolve(
            first_hop.host, std::to_string(first_hop.port), tcp::resolver::numeric_service,
            asio::redirect_error(asio::use_awaitable, ec));
        resolve_timer.cancel();
        if (resolve_timed_out) {
            co_return transportFailure("cannot resolve " + first_hop.host + ": timed out");
        }
        if (ec) {
            co_return transportFailure("cannot resolve " + first_hop.host + ": " + ec.message());
        }

        beast::ssl_stream<beast::tcp_stream> stream(io, tls_.context());
        auto& lowest = beast::get_lowest_layer(stream);
        lowest.expires_after(options_.connect_timeout);
        co_await lowest.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return transportFailure("cannot connect to " + first_hop.hostPort() + ": " +
                                       ec.message());
        }

        if (proxy_) {
            if (auto refused = co_await openTunnel(lowest)) {
                co_return std::move(*refused);
            }
        }

        // From here on, one deadline covers handshake, request and response.
        lowest.expires_after(options_.request_timeout);
        if (auto failed = configureTls(stream)) {
            co_return std::move(*failed);
        }
        const std::string server = target_.hostPort();
        tls_.offerSession(stream.native_handle(), server);
        co_await stream.async_handshake(ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            tls_.forgetSession(server);
            const long verify = SSL_get_verify_result(stream.native_handle());
            if (verify != X509_V_OK) {
                // A certificate that does not verify will not verify on the next try either.
                co_return transportFailure("TLS handshake with " + target_.hostPort() +
                                               " failed: certificate verify failed: " +
                                               crypto::tlsVerifyFailure(stream.native_handle()),
                                           false);
            }
            co_return transportFailure("TLS handshake with " + target_.hostPort() +
                                       " failed: " + ec.message());
        }
        countHandshake(SSL_session_reused(stream.native_handle()) == 1);

        co_await beast_http::async_write(stream, request_,
                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return transportFailure("cannot send the request to " + where() + ": " +
                                       ec.message());
        }

        beast::flat_buffer buffer;
        beast_http::response_parser<beast_http::string_body> parser;
        parser.header_limit(kMaxResponseHeaderBytes);
        parser.body_limit(options_.max_response_bytes);
        if (request_.method() == Verb::head) {
            parser.skip(true);
        }
        // Beast 1.74 lets a response whose Content-Length exceeds body_limit through when it is
        // read asynchronously: check the announced length ourselves before reading the body.
        co_await beast_http::async_read_header(stream, buffer, parser,
                                               asio::redirect_error(asio::use_awaitable, ec));
        if (!ec && parser.content_length().value_or(0) > options_.max_response_bytes) {
            ec = beast_http::error::body_limit;
        }
        if (!ec && !parser.is_done()) {
            co_await beast_http::async_read(stream, buffer, parser,
                                            asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec == beast_http::error::body_limit) {
            co_return transportFailure("the response from " + where() + " exceeds " +
                                           std::to_string(options_.max_response_bytes) + " bytes",
                                       false);
        }
        if (ec) {
            co_return transportFailure("cannot read the response from " + where() + ": " +
                                       ec.message());
        }
        // The connection is not reused (its session is): closing without close_notify loses
        // nothing, the response was complete. TLS 1.3 sends the session after the handshake,
        // so it is read with the response and kept only now.
        tls_.keepSession(stream.native_handle(), server);
        lowest.close();
        Attempt attempt;
        attempt.response = parser.release();
        co_return attempt;
    }

    // Empty when the tunnel is open, else why not.
    asio::awaitable<std::optional<Attempt>> openTunnel(beast::tcp_stream& stream) {
        ErrorCode ec;
        const std::string authority = target_.hostPort();
        beast_http::request<beast_http::empty_body> connect{Verb::connect, authority, 11};
        connect.set(Field::host, authority);
        connect.set(Field::user_agent, std::string("azcmagent/") + azcm::agentVersion());
        if (proxy_authorization_) {
            connect.set(Field::proxy_authorization, *proxy_authorization_);
        }
        stream.expires_after(options_.connect_timeout);
        co_await beast_http::async_write(stream, connect,
                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return transportFailure("cannot send CONNECT to proxy " + proxy_->hostPort() + ": " +
                                       ec.message());
        }
        beast::flat_buffer buffer;
        beast_http::response_parser<beast_http::empty_body> parser;
        parser.header_limit(kMaxResponseHeaderBytes);
        // A successful CONNECT answer has no body, whatever its headers say.
        parser.skip(true);
        co_await beast_http::async_read(stream, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return transportFailure("no answer to CONNECT from proxy " + proxy_->hostPort() +
                                       ": " + ec.message());
        }
        const unsigned status = parser.get().result_int();
        if (status != 200) {
            co_return transportFailure("proxy " + proxy_->hostPort() + " refused CONNECT to " +
                                           authority + ": HTTP " + std::to_string(status),
                                       isRetryableStatus(status));
        }
        if (buffer.size() != 0) {
            co_return transportFailure(
                "proxy " + proxy_->hostPort() + " sent data before the TLS handshake", false);
        }
        co_return std::nullopt;
    }

    std::optional<Attempt> configureTls(beast::ssl_stream<beast::tcp_stream>& stream) {
        SSL* ssl = stream.native_handle();
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (isIpLiteral(target_.host)) {
            if (X509_VERIFY_PARAM_set1_ip_asc(param, target_.host.c_str()) != 1) {
                return transportFailure("cannot set the expected IP address: " +
                                            crypto::detail::opensslErrors(),
                                        false);
            }
        } else {
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            if (SSL_set1_host(ssl, target_.host.c_str()) != 1 ||
                SSL_set_tlsext_host_name(ssl, target_.host.c_str()) != 1) {
                return transportFailure(
                    "cannot set the expected host name: " + crypto::detail::opensslErrors(), false);
            }
        }
        return std::nullopt;
    }

    const ClientOptions& options_;
    ClientTls& tls_;
    const Url& target_;
    const std::optional<Url> proxy_;
    const std::optional<std::string> proxy_authorization_;
    const beast_http::request<beast_http::string_body>& request_;
};

std::chrono::milliseconds jitter(std::chrono::milliseconds ceiling) {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    std::uniform_int_distribution<std::int64_t> distribution(
        0, std::max<std::int64_t>(0, ceiling.count()));
    return std::chrono::milliseconds(distribution(generator));
}

// Retry-After in seconds (the HTTP-date form is not used by the services we call).
std::optional<std::chrono::milliseconds> retryAfter(const Response& response) {
    const auto it = response.find(Field::retry_after);
    if (it == response.end()) {
        return std::nullopt;
    }
    const auto text = it->value();
    std::uint64_t seconds = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || ptr != text.data() + text.size() || seconds > 86400) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(seconds * 1000);
}

} // namespace

std::chrono::milliseconds backoffCeiling(const RetryPolicy& policy, int attempt) {
    auto delay = policy.initial_backoff;
    for (int i = 1; i < attempt && delay < policy.max_backoff; ++i) {
        delay *= 2;
    }
    return std::min(delay, policy.max_backoff);
}

HttpsClient::HttpsClient(ClientOptions options) : options_(std::move(options)) {}

Result<Response> HttpsClient::send(const SimpleRequest& request) const {
    BOOST_OUTCOME_TRY(target, parseUrl(request.url));
    if (target.scheme != "https") {
        // Fail closed: control-plane traffic is never sent in clear text.
        return makeError(exitcode::kNetwork,
                         "refusing to send a request over plain http: " + target.origin());
    }
    std::optional<ProxyUrl> proxy;
    if (options_.proxy_url && !options_.proxy_url->empty()) {
        BOOST_OUTCOME_TRY(parsed, parseProxyUrl(*options_.proxy_url));
        proxy = std::move(parsed);
    }

    beast_http::request<beast_http::string_body> message{request.method, target.target, 11};
    bool has_user_agent = false;
    for (const auto& [name, value] : request.headers) {
        BOOST_OUTCOME_TRYV(checkHeader(name, value));
        if (beast::iequals(name, "host") || beast::iequals(name, "content-length") ||
            beast::iequals(name, "transfer-encoding") || beast::iequals(name, "connection")) {
            continue; // ours to set
        }
        has_user_agent = has_user_agent || beast::iequals(name, "user-agent");
        message.insert(name, value);
    }
    message.set(Field::host, hostHeader(target));
    if (!has_user_agent) {
        message.set(Field::user_agent, std::string("azcmagent/") + azcm::agentVersion());
    }
    message.keep_alive(false);
    message.body() = request.body;
    message.prepare_payload();
    if (request.body.empty() && (request.method == Verb::post || request.method == Verb::put ||
                                 request.method == Verb::patch)) {
        message.content_length(0);
    }

    BOOST_OUTCOME_TRY(tls, clientTlsFor(options_));
    const int attempts = std::max(1, options_.retry.max_attempts);
    for (int attempt = 1;; ++attempt) {
        AttemptRunner runner(options_, *tls, target, proxy, message);
        Attempt outcome = runner.run();
        const bool last = attempt >= attempts;
        std::chrono::milliseconds delay = jitter(backoffCeiling(options_.retry, attempt));
        if (outcome.response) {
            const unsigned status = outcome.response->result_int();
            if (last || !isRetryableStatus(status)) {
                return std::move(*outcome.response);
            }
            if (const auto after = retryAfter(*outcome.response)) {
                delay = std::min(*after, options_.retry.max_backoff);
            }
            spdlog::warn("HTTP_RETRY {} {} answered {}; attempt {}/{} in {} ms",
                         std::string(beast_http::to_string(request.method)), target.origin(),
                         status, attempt + 1, attempts, delay.count());
        } else {
            if (last || !outcome.retryable) {
                return outcome.error;
            }
            spdlog::warn("HTTP_RETRY {} {} failed: {}; attempt {}/{} in {} ms",
                         std::string(beast_http::to_string(request.method)), target.origin(),
                         outcome.error.message, attempt + 1, attempts, delay.count());
        }
        if (options_.cancel && options_.cancel->cancelled()) {
            return makeError(exitcode::kNetwork, "the request was cancelled");
        }
        std::this_thread::sleep_for(delay);
    }
}

void CancelSignal::cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (abort_) {
        abort_();
        abort_ = nullptr;
    }
}

bool CancelSignal::cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
}

void CancelSignal::attach(std::function<void()> abort) {
    std::lock_guard lock(mutex_);
    if (cancelled_) {
        abort();
        return;
    }
    abort_ = std::move(abort);
}

void CancelSignal::detach() {
    std::lock_guard lock(mutex_);
    abort_ = nullptr;
}

} // namespace azcm::http
