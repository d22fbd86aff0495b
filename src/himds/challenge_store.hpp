#pragma once
// The file-based challenge of the IMDS token endpoint (docs/imds.md): a caller proves it may read
// the tokens directory by echoing the content of a single-use key file that only himds and members
// of the himds group can read.
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/platform/os_types.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::himds {

inline constexpr std::chrono::seconds kChallengeLifetime{60};
// Bounds the files a flood of unauthenticated first calls can leave in the tokens directory.
inline constexpr std::size_t kMaxOutstandingChallenges = 1024;
inline constexpr std::size_t kChallengeSecretBytes = 32; // 256 bits, 64 hex characters
inline constexpr platform::FileMode kChallengeFileMode = 0640;

class ChallengeStore {
public:
    // `group`: the group that may read key files (himds when installed); none keeps the
    // process's group. The tokens directory itself is created by the installer, not here.
    ChallengeStore(std::filesystem::path tokens_dir,
                   std::optional<platform::GroupId> group,
                   SteadyClock clock = steadyClock());
    ~ChallengeStore();
    ChallengeStore(const ChallengeStore&) = delete;
    ChallengeStore& operator=(const ChallengeStore&) = delete;
    ChallengeStore(ChallengeStore&&) = delete;
    ChallengeStore& operator=(ChallengeStore&&) = delete;

    // Refuses a tokens directory that is a symlink, not a directory, writable by others, writable
    // by a group other than the configured one, owned by someone other than us or root, or whose
    // path cannot be carried unquoted in a realm (relative, or containing '=', '"', ',' or space).
    Result<void> validateDirectory() const;

    // Creates `<tokens dir>/<guid>.key` (mode 0640, group set before content) holding a fresh
    // secret, and remembers it for 60 seconds. Refuses when the directory fails validation or
    // kMaxOutstandingChallenges unexpired challenges are outstanding.
    Result<std::filesystem::path> issue();

    // True once for the secret of an outstanding unexpired challenge; that challenge's file is
    // deleted. Wrong, reused, expired and empty secrets are false.
    bool redeem(std::string_view presented_secret);

    // Deletes the files and entries of expired challenges.
    void purgeExpired();

    std::size_t outstanding() const;
    // When the oldest outstanding challenge expires (none: nothing to clean up).
    std::optional<SteadyTime> nextExpiry() const;

    // The WWW-Authenticate header value of the 401: the path unquoted and nothing after it.
    static std::string wwwAuthenticateValue(const std::filesystem::path& key_file);

private:
    struct Challenge {
        std::filesystem::path path;
        std::string secret;
        SteadyTime expiry;
    };

    void purgeExpiredLocked(SteadyTime now);

    std::filesystem::path tokens_dir_;
    std::optional<platform::GroupId> group_;
    SteadyClock clock_;
    mutable std::mutex mutex_;
    std::vector<Challenge> challenges_;
};

} // namespace azcm::himds
