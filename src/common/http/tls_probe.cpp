#include "common/http/tls_probe.hpp"

#include "common/agent_version.hpp"
#include "common/crypto/certificate_policy.hpp"
#include "common/http/http_types.hpp"
#include "common/http/proxy_url.hpp"
#include "common/http/url.hpp"
#include "common/platform/trust_roots.hpp"
#include "common/utc_time.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace azcm::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;

bool isIpLiteral(const std::string& host) {
    ErrorCode ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

std::optional<std::chrono::system_clock::time_point> notAfterOf(const X509* certificate) {
    std::tm tm{};
    if (certificate == nullptr || ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &tm) != 1) {
        return std::nullopt;
    }
    return std::chrono::system_clock::time_point(std::chrono::seconds(unixSecondsOfUtc(tm)));
}

// One probe; lives on the frame of its worker coroutine.
class Probe {
public:
    Probe(const TlsProbeRequest& request,
          const TlsProbeTimeouts& timeouts,
          SteadyClock::time_point deadline,
          TlsProbeResult& result)
        : request_(request), timeouts_(timeouts), deadline_(deadline), result_(result) {}

    asio::awaitable<void> run(asio::io_context& io) {
        const auto started = SteadyClock::now();
        try {
            co_await stages(io);
        } catch (const std::exception& e) {
            fail(e.what());
        }
        result_.elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
    }

private:
    // The stage's own timeout, cut short by the overall deadline.
    std::chrono::milliseconds budget(std::chrono::milliseconds stage) const {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - SteadyClock::now());
        return std::max(std::chrono::milliseconds(0), std::min(stage, left));
    }

    void fail(std::string message) {
        if (result_.error.empty()) {
            result_.error = std::move(message);
        }
    }

    static std::string describe(const ErrorCode& ec) {
        return ec == beast::error::timeout || ec == asio::error::operation_aborted
                   ? std::string("timed out")
                   : ec.message();
    }

    // Resolves host:port within the resolve budget; empty with `why` set on failure.
    asio::awaitable<tcp::resolver::results_type>
    resolve(asio::io_context& io, const Url& where, std::string& why) {
        tcp::resolver resolver(io);
        asio::steady_timer timer(io);
        bool timed_out = false;
        timer.expires_after(budget(timeouts_.resolve));
        timer.async_wait([&](const ErrorCode& timer_ec) {
            if (!timer_ec) {
                timed_out = true;
                resolver.cancel();
            }
        });
        ErrorCode ec;
        auto results = co_await resolver.async_resolve(
            where.host, std::to_string(where.port), tcp::resolver::numeric_service,
            asio::redirect_error(asio::use_awaitable, ec));
        timer.cancel();
        if (timed_out || ec) {
            why = "cannot resolve " + where.host + ": " + (timed_out ? "timed out" : ec.message());
            co_return tcp::resolver::results_type();
        }
        co_return results;
    }

    asio::awaitable<void> stages(asio::io_context& io) {
        auto target_url = parseUrl(request_.url);
        if (!target_url || target_url.value().scheme != "https") {
            fail("not an https URL: " + request_.url);
            co_return;
        }
        const Url target = std::move(target_url).value();
        std::optional<ProxyUrl> proxy;
        if (request_.proxy_url && !request_.proxy_url->empty()) {
            auto parsed = parseProxyUrl(*request_.proxy_url);
            if (!parsed) {
                fail(parsed.error().message); // already redacted
                co_return;
            }
            proxy = std::move(parsed).value();
        }

        // The target's own addresses, whether or not a proxy carries the connection.
        std::string resolve_error;
        const auto target_endpoints = co_await resolve(io, target, resolve_error);
        for (const auto& entry : target_endpoints) {
            auto text = entry.endpoint().address().to_string();
            if (std::find(result_.addresses.begin(), result_.addresses.end(), text) ==
                result_.addresses.end()) {
                result_.addresses.push_back(std::move(text));
            }
        }
        result_.resolve_error = resolve_error;
        if (!proxy && target_endpoints.empty()) {
            fail(resolve_error);
            co_return;
        }
        auto first_hop = target_endpoints;
        if (proxy) {
            std::string proxy_error;
            first_hop = co_await resolve(io, proxy->endpoint, proxy_error);
            if (first_hop.empty()) {
                fail("proxy " + proxy->endpoint.hostPort() + ": " + proxy_error);
                co_return;
            }
        }

        ssl::context tls(ssl::context::tls_client);
        if (auto configured = configureContext(tls); !configured.empty()) {
            fail(configured);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(io, tls);
        auto& lowest = beast::get_lowest_layer(stream);
        ErrorCode ec;
        lowest.expires_after(budget(timeouts_.connect));
        co_await lowest.async_connect(first_hop, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            fail("cannot connect to " +
                 (proxy ? "proxy " + proxy->endpoint.hostPort() : target.hostPort()) + ": " +
                 describe(ec));
            co_return;
        }
        if (proxy && !co_await openTunnel(lowest, target, *proxy)) {
            co_return;
        }
        result_.connected = true;

        if (!setExpectedPeer(stream.native_handle(), target.host)) {
            co_return;
        }
        lowest.expires_after(budget(timeouts_.handshake));
        co_await stream.async_handshake(ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            const long verify = SSL_get_verify_result(stream.native_handle());
            if (verify != X509_V_OK) {
                result_.verify_error = crypto::tlsVerifyFailure(stream.native_handle());
                fail("certificate verify failed: " + result_.verify_error);
            } else {
                fail("TLS handshake failed: " + describe(ec));
            }
            co_return;
        }
        result_.tls_established = true;
        result_.tls_version = SSL_get_version(stream.native_handle());
        result_.cipher = SSL_get_cipher_name(stream.native_handle());
        result_.certificate_not_after =
            notAfterOf(SSL_get0_peer_certificate(stream.native_handle()));

        co_await exchange(stream, target);
        lowest.close();
    }

    std::string configureContext(ssl::context& tls) const {
        ErrorCode ec;
        tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1,
                        ec);
        if (ec || SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION) != 1) {
            return "cannot configure TLS";
        }
        // Peer verification with the certificate policy at every depth, as HttpsClient.
        crypto::installCertificatePolicy(tls.native_handle());
        if (request_.ca_file.empty()) {
            if (auto roots = platform::trustSystemRoots(tls.native_handle()); !roots) {
                return "cannot load trust anchors: " + roots.error().message;
            }
        } else {
            tls.load_verify_file(request_.ca_file.string(), ec);
        }
        if (ec) {
            return "cannot load trust anchors" +
                   (request_.ca_file.empty() ? std::string()
                                             : " from " + request_.ca_file.string()) +
                   ": " + ec.message();
        }
        return {};
    }

    bool setExpectedPeer(SSL* handle, const std::string& host) {
        X509_VERIFY_PARAM* param = SSL_get0_param(handle);
        if (isIpLiteral(host)) {
            if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
                fail("cannot set the expected IP address " + host);
                return false;
            }
            return true;
        }
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set1_host(handle, host.c_str()) != 1 ||
            SSL_set_tlsext_host_name(handle, host.c_str()) != 1) {
            fail("cannot set the expected host name " + host);
            return false;
        }
        return true;
    }

    asio::awaitable<bool>
    openTunnel(beast::tcp_stream& stream, const Url& target, const ProxyUrl& proxy) {
        ErrorCode ec;
        const std::string authority = target.hostPort();
        beast_http::request<beast_http::empty_body> connect{Verb::connect, authority, 11};
        connect.set(Field::host, authority);
        connect.set(Field::user_agent, std::string("azcmagent/") + azcm::agentVersion());
        if (proxy.authorization) {
            connect.set(Field::proxy_authorization, *proxy.authorization);
        }
        stream.expires_after(budget(timeouts_.connect));
        co_await beast_http::async_write(stream, connect,
                                         asio::redirect_error(asio::use_awaitable, ec));
        beast::flat_buffer buffer;
        beast_http::response_parser<beast_http::empty_body> parser;
        parser.header_limit(kMaxHeaderBytes);
        parser.skip(true); // a CONNECT answer has no body, whatever its headers say
        if (!ec) {
            co_await beast_http::async_read(stream, buffer, parser,
                                            asio::redirect_error(asio::use_awaitable, ec));
        }
        const std::string via = "proxy " + proxy.endpoint.hostPort();
        if (ec) {
            fail("CONNECT through " + via + " failed: " + describe(ec));
            co_return false;
        }
        if (parser.get().result_int() != 200) {
            fail(via + " refused CONNECT to " + authority + ": HTTP " +
                 std::to_string(parser.get().result_int()));
            co_return false;
        }
        if (buffer.size() != 0) {
            fail(via + " sent data before the TLS handshake");
            co_return false;
        }
        co_return true;
    }

    asio::awaitable<void> exchange(beast::ssl_stream<beast::tcp_stream>& stream,
                                   const Url& target) {
        ErrorCode ec;
        beast_http::request<beast_http::empty_body> get{Verb::get, target.target, 11};
        get.set(Field::host, target.port == 443 ? target.host : target.hostPort());
        get.set(Field::user_agent, std::string("azcmagent/") + azcm::agentVersion());
        get.keep_alive(false);
        beast::get_lowest_layer(stream).expires_after(budget(timeouts_.request));
        co_await beast_http::async_write(stream, get,
                                         asio::redirect_error(asio::use_awaitable, ec));
        beast::flat_buffer buffer;
        beast_http::response_parser<beast_http::string_body> parser;
        parser.header_limit(kMaxHeaderBytes);
        if (!ec) {
            co_await beast_http::async_read_header(stream, buffer, parser,
                                                   asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            fail("no HTTP answer: " + describe(ec));
            co_return;
        }
        result_.answered_at = std::chrono::system_clock::now();
        const auto& header = parser.get();
        result_.http_status = header.result_int();
        if (const auto date = header.find(Field::date); date != header.end()) {
            result_.date_header = std::string(date->value());
        }
    }

    const TlsProbeRequest& request_;
    const TlsProbeTimeouts& timeouts_;
    SteadyClock::time_point deadline_;
    TlsProbeResult& result_;
};

} // namespace

std::vector<TlsProbeResult> probeEndpoints(const std::vector<TlsProbeRequest>& requests,
                                           const TlsProbeTimeouts& timeouts,
                                           std::size_t max_parallel,
                                           SteadyClock::time_point deadline) {
    std::vector<TlsProbeResult> results(requests.size());
    asio::io_context io;
    std::size_t next = 0;
    // Each worker takes the next request until none is left: at most max_parallel at a time.
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < requests.size()) {
            const std::size_t index = next++;
            Probe probe(requests[index], timeouts, deadline, results[index]);
            co_await probe.run(io);
        }
    };
    const std::size_t workers = std::clamp<std::size_t>(max_parallel, 1, requests.size() + 1);
    for (std::size_t i = 0; i < workers; ++i) {
        asio::co_spawn(io, worker(), asio::detached);
    }
    io.run();
    for (auto& result : results) {
        if (!result.reachable() && result.error.empty()) {
            result.error = "did not complete";
        }
    }
    return results;
}

} // namespace azcm::http
