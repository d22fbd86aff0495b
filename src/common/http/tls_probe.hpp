#pragma once
// A diagnostic probe of HTTPS endpoints for `azcmagent check`: for each URL, the addresses its host
// resolves to, then TCP connect (directly or through an HTTP CONNECT proxy), TLS handshake with
// full verification (chain and host name, as HttpsClient), one GET, and what was learnt on the way:
// the negotiated TLS version, the peer certificate's expiry, the HTTP status and Date header. Every
// stage has its own timeout and all of them end by one shared deadline. Nothing secret is sent:
// the probe carries no credentials other than the proxy's own.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace azcm::http {

struct TlsProbeRequest {
    std::string url; // https URL; the probe GETs its target
    // Trust anchors: a PEM bundle; empty means the system store.
    std::filesystem::path ca_file;
    // "http://[user:password@]host[:port]": the probe tunnels through it with CONNECT.
    std::optional<std::string> proxy_url;
};

struct TlsProbeTimeouts {
    std::chrono::milliseconds resolve{5000};
    std::chrono::milliseconds connect{5000}; // TCP, and the CONNECT exchange with a proxy
    std::chrono::milliseconds handshake{5000};
    std::chrono::milliseconds request{5000}; // the GET and its response header
};

struct TlsProbeResult {
    // The addresses the URL's host resolves to on this machine (also when a proxy is used, so
    // that "private" can be judged); empty with resolve_error set when it does not resolve.
    std::vector<std::string> addresses;
    std::string resolve_error;
    bool connected = false;       // TCP (and the proxy tunnel) open
    bool tls_established = false; // handshake done, certificate chain and host name verified
    std::string verify_error;     // why the certificate was refused, when it was
    std::string tls_version;      // "TLSv1.3", "TLSv1.2"
    std::string cipher;
    std::optional<std::chrono::system_clock::time_point> certificate_not_after;
    std::optional<unsigned> http_status;
    std::optional<std::string> date_header;
    // The local time at which the response header arrived (for the clock-skew check).
    std::chrono::system_clock::time_point answered_at;
    std::string error; // the first failure, empty when an HTTP answer arrived
    std::chrono::milliseconds elapsed{0};

    bool reachable() const { return http_status.has_value(); }
};

// Probes every request, at most `max_parallel` at a time, all on one private io_context of the
// calling thread. Results are in the order of `requests`. A probe still running at `deadline` is
// cancelled and reports a timeout.
std::vector<TlsProbeResult> probeEndpoints(const std::vector<TlsProbeRequest>& requests,
                                           const TlsProbeTimeouts& timeouts,
                                           std::size_t max_parallel,
                                           std::chrono::steady_clock::time_point deadline);

} // namespace azcm::http
