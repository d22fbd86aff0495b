#pragma once
// Managed identity tokens cached per resource (docs/imds.md): refreshed at half their lifetime,
// one upstream call per resource at a time, a still-valid token served while the control plane
// fails, an expired one never.
#include "common/clock.hpp"
#include "common/error.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace azcm::himds {

struct ManagedIdentityToken {
    std::string access_token;
    std::string token_type = "Bearer";
    std::string resource;
    WallTime issued_at{}; // not_before; the epoch means "when the fetch returned"
    WallTime expires_on{};
    std::string client_id; // of the managed identity, as the control plane reports it
    std::string object_id;
};

using TokenFetcher = std::function<Result<ManagedIdentityToken>(const std::string& resource)>;
// A number in [0, 1) that spreads the back-off of failed refreshes.
using JitterSource = std::function<double()>;

inline constexpr std::chrono::seconds kRefreshBackoffBase{1};
inline constexpr std::chrono::seconds kRefreshBackoffMax{60};
inline constexpr std::chrono::minutes kMaxExpirySafetyMargin{5};
// Resources come from callers; bounds the memory an enumeration of made-up resources can take.
inline constexpr std::size_t kMaxCachedResources = 1024;

// "https://management.azure.com/" and "https://management.azure.com" share an entry.
std::string normalizeResource(std::string_view resource);

// A token is served until min(5 minutes, lifetime / 10) before it expires.
bool tokenUsable(const ManagedIdentityToken& token, WallTime now);
bool refreshDue(const ManagedIdentityToken& token, WallTime now);

class TokenCache {
public:
    explicit TokenCache(TokenFetcher fetch,
                        WallClock clock = wallClock(),
                        JitterSource jitter = {});

    // Thread-safe and blocking. Calls `fetch` from the calling thread, at most one call per
    // resource at a time: concurrent misses wait for that call. `bypass_cache` forces an upstream
    // call (joining one already in flight).
    Result<ManagedIdentityToken> get(const std::string& resource, bool bypass_cache = false);

    // A cached token that needs no refresh yet, without blocking on an upstream call: the fast
    // path the io thread takes before handing a miss to a worker.
    std::optional<ManagedIdentityToken> peek(const std::string& resource) const;

    // Threads waiting for the in-flight fetch of `resource` (diagnostics and tests).
    std::size_t waitersFor(const std::string& resource) const;

private:
    struct Entry {
        std::optional<ManagedIdentityToken> token;
        bool in_flight = false;
        std::uint64_t generation = 0; // completed fetches
        std::optional<Error> last_error;
        std::size_t waiters = 0;
        int failures = 0;
        WallTime retry_after{};
    };

    std::shared_ptr<Entry> entryFor(const std::string& key);
    std::chrono::milliseconds backoff(int failures);

    TokenFetcher fetch_;
    WallClock clock_;
    JitterSource jitter_;
    mutable std::mutex mutex_;
    std::condition_variable done_;
    std::map<std::string, std::shared_ptr<Entry>> entries_;
};

} // namespace azcm::himds
