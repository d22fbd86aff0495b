#include "himds/token_cache.hpp"

#include <algorithm>
#include <exception>
#include <random>
#include <utility>

#include <spdlog/spdlog.h>

namespace azcm::himds {

namespace {

std::chrono::system_clock::duration lifetimeOf(const ManagedIdentityToken& token) {
    return token.expires_on - token.issued_at;
}

JitterSource defaultJitter() {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    // Only called under the cache mutex, so the shared engine needs no lock of its own.
    return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

} // namespace

std::string normalizeResource(std::string_view resource) {
    while (!resource.empty() && resource.back() == '/') {
        resource.remove_suffix(1);
    }
    return std::string(resource);
}

bool tokenUsable(const ManagedIdentityToken& token, WallTime now) {
    const auto margin = std::min<std::chrono::system_clock::duration>(kMaxExpirySafetyMargin,
                                                                      lifetimeOf(token) / 10);
    return now < token.expires_on - margin;
}

bool refreshDue(const ManagedIdentityToken& token, WallTime now) {
    return now >= token.issued_at + lifetimeOf(token) / 2;
}

TokenCache::TokenCache(TokenFetcher fetch, WallClock clock, JitterSource jitter)
    : fetch_(std::move(fetch)), clock_(std::move(clock)),
      jitter_(jitter ? std::move(jitter) : defaultJitter()) {}

std::shared_ptr<TokenCache::Entry> TokenCache::entryFor(const std::string& key) {
    if (auto it = entries_.find(key); it != entries_.end()) {
        return it->second;
    }
    if (entries_.size() >= kMaxCachedResources) {
        const WallTime now = clock_();
        std::erase_if(entries_, [now](const auto& item) {
            const Entry& entry = *item.second;
            return !entry.in_flight && entry.waiters == 0 &&
                   (!entry.token || !tokenUsable(*entry.token, now));
        });
        if (entries_.size() >= kMaxCachedResources) {
            return nullptr;
        }
    }
    auto entry = std::make_shared<Entry>();
    entries_.emplace(key, entry);
    return entry;
}

std::chrono::milliseconds TokenCache::backoff(int failures) {
    auto delay = std::chrono::milliseconds(kRefreshBackoffBase);
    for (int i = 1; i < failures && delay < kRefreshBackoffMax; ++i) {
        delay *= 2;
    }
    delay = std::min<std::chrono::milliseconds>(delay, kRefreshBackoffMax);
    // Between half and all of the delay, so many agents failing together do not retry together.
    const double factor = 0.5 + 0.5 * std::clamp(jitter_(), 0.0, 1.0);
    return std::chrono::milliseconds(
        static_cast<std::chrono::milliseconds::rep>(static_cast<double>(delay.count()) * factor));
}

Result<ManagedIdentityToken> TokenCache::get(const std::string& resource, bool bypass_cache) {
    const std::string key = normalizeResource(resource);
    if (key.empty()) {
        return makeError(exitcode::kInvalidArgument, "resource is empty");
    }
    std::unique_lock lock(mutex_);
    const std::shared_ptr<Entry> entry = entryFor(key);
    if (!entry) {
        return makeError(exitcode::kTokenFailed, "too many resources cached");
    }
    WallTime now = clock_();
    if (entry->token && !tokenUsable(*entry->token, now)) {
        entry->token.reset(); // never served again
    }
    if (!bypass_cache && entry->token) {
        // A due refresh is attempted by one caller; the others keep getting the valid token.
        if (!refreshDue(*entry->token, now) || entry->in_flight || now < entry->retry_after) {
            return *entry->token;
        }
    }
    if (entry->in_flight) {
        const std::uint64_t generation = entry->generation;
        ++entry->waiters;
        done_.wait(lock, [&] { return entry->generation != generation; });
        --entry->waiters;
        now = clock_();
        if (entry->token && now < entry->token->expires_on &&
            (!entry->last_error || tokenUsable(*entry->token, now))) {
            return *entry->token;
        }
        return entry->last_error ? *entry->last_error
                                 : makeError(exitcode::kTokenFailed, "token fetch failed");
    }

    entry->in_flight = true;
    lock.unlock();
    Result<ManagedIdentityToken> fetched = makeError(exitcode::kTokenFailed, "token fetch failed");
    try {
        fetched = fetch_(key);
    } catch (const std::exception& e) {
        fetched = makeError(exitcode::kTokenFailed, std::string("token fetch threw: ") + e.what());
    } catch (...) {
        fetched = makeError(exitcode::kTokenFailed, "token fetch threw");
    }
    lock.lock();
    now = clock_();
    entry->in_flight = false;
    ++entry->generation;
    std::optional<Error> failure; // empty when the fetched token was stored
    if (fetched) {
        ManagedIdentityToken token = std::move(fetched).value();
        if (token.issued_at == WallTime{}) {
            token.issued_at = now;
        }
        if (token.access_token.empty() || now >= token.expires_on ||
            token.expires_on <= token.issued_at) {
            failure = makeError(exitcode::kTokenFailed, "upstream returned an unusable token");
        } else {
            token.resource = key;
            entry->token = std::move(token);
            entry->last_error.reset();
            entry->failures = 0;
            entry->retry_after = {};
        }
    } else {
        failure = std::move(fetched).error();
    }
    if (failure) {
        entry->last_error = failure;
        ++entry->failures;
        entry->retry_after = now + backoff(entry->failures);
    }
    done_.notify_all();

    if (!failure) {
        return *entry->token;
    }
    if (entry->token && tokenUsable(*entry->token, now)) {
        spdlog::warn("IMDS_TOKEN_REFRESH_FAILED resource={} serving cached token: {}", key,
                     failure->message);
        return *entry->token;
    }
    if (!entry->token && entry->waiters == 0) {
        // Nothing worth keeping: a failing made-up resource must not hold a slot.
        if (auto it = entries_.find(key); it != entries_.end() && it->second == entry) {
            entries_.erase(it);
        }
    }
    return *std::move(failure);
}

std::optional<ManagedIdentityToken> TokenCache::peek(const std::string& resource) const {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(normalizeResource(resource));
    if (it == entries_.end() || !it->second->token) {
        return std::nullopt;
    }
    const ManagedIdentityToken& token = *it->second->token;
    const WallTime now = clock_();
    if (!tokenUsable(token, now) || refreshDue(token, now)) {
        return std::nullopt;
    }
    return token;
}

std::size_t TokenCache::waitersFor(const std::string& resource) const {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(normalizeResource(resource));
    return it == entries_.end() ? 0 : it->second->waiters;
}

} // namespace azcm::himds
