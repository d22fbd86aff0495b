#include "himds/key_readers.hpp"

#include "common/platform/user_groups.hpp"

#include <utility>

namespace azcm::himds {

namespace {

// The table is swept for expired answers once it holds this many.
constexpr std::size_t kSweepAbove = 256;

} // namespace

KeyReaders::KeyReaders(std::uint32_t own_uid,
                       std::optional<std::uint32_t> token_group,
                       MembershipLookup lookup,
                       SteadyClock clock)
    : own_uid_(own_uid), token_group_(token_group), lookup_(std::move(lookup)),
      clock_(std::move(clock)) {
    if (!lookup_) {
        lookup_ = platform::accountHasGroup;
    }
}

bool KeyReaders::contains(std::optional<std::uint32_t> uid) {
    if (!uid) {
        return false;
    }
    if (*uid == 0 || *uid == own_uid_) {
        return true;
    }
    if (!token_group_) {
        return false;
    }
    const std::lock_guard lock(mutex_);
    const auto now = clock_();
    if (const auto found = remembered_.find(*uid);
        found != remembered_.end() && now < found->second.until) {
        return found->second.member;
    }
    if (remembered_.size() >= kSweepAbove) {
        std::erase_if(remembered_, [now](const auto& entry) { return now >= entry.second.until; });
    }
    const bool member = lookup_(*uid, *token_group_);
    remembered_[*uid] = Remembered{member, now + kRememberFor};
    return member;
}

} // namespace azcm::himds
