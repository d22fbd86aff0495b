#pragma once
// Which IMDS callers may read challenge key files: root, himds's own account and the members of
// the token group. They get their own rate-limit budget (rate_limiter.hpp). Group membership
// comes from the user database and is remembered per uid for a minute, so that adding a user to
// the group takes effect without a restart and a flood of requests costs no lookups.
#include "common/clock.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace azcm::himds {

class KeyReaders {
public:
    // Whether account `uid` has group `gid` (platform::accountHasGroup unless a test replaces it).
    using MembershipLookup = std::function<bool(std::uint32_t uid, std::uint32_t gid)>;

    static constexpr std::chrono::seconds kRememberFor{60};

    KeyReaders(std::uint32_t own_uid,
               std::optional<std::uint32_t> token_group,
               MembershipLookup lookup = {},
               SteadyClock clock = steadyClock());

    // False for an unknown uid. Thread-safe.
    bool contains(std::optional<std::uint32_t> uid);

private:
    struct Remembered {
        bool member = false;
        SteadyTime until{};
    };

    std::uint32_t own_uid_;
    std::optional<std::uint32_t> token_group_;
    MembershipLookup lookup_;
    SteadyClock clock_;
    std::mutex mutex_;
    std::unordered_map<std::uint32_t, Remembered> remembered_;
};

} // namespace azcm::himds
