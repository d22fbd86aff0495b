#pragma once
// Outbound HTTPS for every control-plane call. Verification is always on (chain and host name),
// there is no switch to turn it off. Each call runs on a private io_context, so it is safe from any
// thread and blocks only its caller; daemons call it from a worker thread.
#include "common/error.hpp"
#include "common/http/http_types.hpp"
#include "common/http/url.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace azcm::http {

struct RetryPolicy {
    int max_attempts = 4; // 1 = no retry
    std::chrono::milliseconds initial_backoff{500};
    std::chrono::milliseconds max_backoff{30000};
    // Retried: connection failures and timeouts, 408, 429 and 5xx. Retry-After is honoured up to
    // max_backoff. Backoff is exponential with full jitter.
};

// Abandons requests from another thread (a long-poll at shutdown). Sticky: once cancelled, a
// request in flight fails within milliseconds and every later send() with it fails at once,
// with a transport error that says "cancelled".
class CancelSignal {
public:
    void cancel();
    bool cancelled() const;

    // For HttpsClient: while one attempt runs, cancel() calls `abort` (once, under the lock, so
    // never after detach()). Attaching to a cancelled signal calls `abort` at once.
    void attach(std::function<void()> abort);
    void detach();

private:
    mutable std::mutex mutex_;
    bool cancelled_ = false;
    std::function<void()> abort_;
};

struct ClientOptions {
    // Trust anchors: a PEM bundle; empty means the system store.
    std::filesystem::path ca_file;
    // "http://host:port" of a forward proxy: requests go through HTTP CONNECT.
    std::optional<std::string> proxy_url;
    // Mutual TLS: client certificate chain and private key, PEM.
    std::optional<std::string> client_certificate_pem;
    std::optional<std::string> client_private_key_pem;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds request_timeout{30000};
    RetryPolicy retry;
    std::uint64_t max_response_bytes = std::uint64_t{16} * 1024 * 1024;
    // Optional: lets another thread abandon the call (CancelSignal above).
    std::shared_ptr<CancelSignal> cancel;
};

struct SimpleRequest {
    Verb method = Verb::get;
    std::string url;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; // e.g. Authorization, Content-Type
};

class HttpsClient {
public:
    explicit HttpsClient(ClientOptions options);

    // Any HTTP status is a value; errors are transport failures (code exitcode::kNetwork) or TLS
    // verification failures (also kNetwork, message says why).
    Result<Response> send(const SimpleRequest& request) const;

    const ClientOptions& options() const { return options_; }

private:
    ClientOptions options_;
};

// Delay before retry number `attempt` (1-based), before jitter is applied: initial * 2^(attempt-1)
// capped at max. Exposed for tests.
std::chrono::milliseconds backoffCeiling(const RetryPolicy& policy, int attempt);

} // namespace azcm::http
