#include "himds/challenge_store.hpp"

#include "common/crypto/encoding.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/platform/process_identity.hpp"
#include "common/platform/safe_path.hpp"

#include <cassert>
#include <utility>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

namespace azcm::himds {

namespace stdfs = std::filesystem;

namespace {

// The realm is sent unquoted, so its path must not contain anything a client's header parser
// would split on; '=' is excluded as well (docs/imds.md).
bool realmSafe(const std::string& path) {
    return path.find_first_of("=\", \t\r\n") == std::string::npos;
}

} // namespace

ChallengeStore::ChallengeStore(stdfs::path tokens_dir,
                               std::optional<platform::GroupId> group,
                               SteadyClock clock)
    : tokens_dir_(std::move(tokens_dir)), group_(group), clock_(std::move(clock)) {}

ChallengeStore::~ChallengeStore() {
    // Outstanding key files are useless once the store that could redeem them is gone.
    const std::lock_guard lock(mutex_);
    for (const auto& challenge : challenges_) {
        (void)fs::removeFile(challenge.path);
    }
}

Result<void> ChallengeStore::validateDirectory() const {
    const std::string text = tokens_dir_.string();
    if (!tokens_dir_.is_absolute() || !realmSafe(text)) {
        return makeError(exitcode::kGeneric, "tokens directory path unusable in a realm: " + text);
    }
    const auto found = platform::pathStatus(tokens_dir_);
    if (!found) {
        return found.error();
    }
    if (!found.value()) {
        return makeError(exitcode::kGeneric, "tokens directory missing: " + text);
    }
    const platform::EntryStatus& st = *found.value();
    if (st.kind == platform::EntryKind::kSymlink) {
        return makeError(exitcode::kGeneric, "tokens directory is a symlink: " + text);
    }
    if (st.kind != platform::EntryKind::kDirectory) {
        return makeError(exitcode::kGeneric, "tokens directory is not a directory: " + text);
    }
    constexpr std::uint32_t kOthersWrite = 0002;
    constexpr std::uint32_t kGroupWrite = 0020;
    if ((st.mode & kOthersWrite) != 0) {
        return makeError(exitcode::kGeneric, "tokens directory is writable by others: " + text);
    }
    // Group write is how production shares the directory (himds:himds 0770); any other group
    // could swap key files.
    if ((st.mode & kGroupWrite) != 0 && (!group_ || st.gid != *group_)) {
        return makeError(exitcode::kGeneric,
                         "tokens directory is writable by a foreign group: " + text);
    }
    if (st.uid != platform::effectiveUserId() && st.uid != 0) {
        return makeError(exitcode::kGeneric, "tokens directory has a foreign owner: " + text);
    }
    return ok();
}

Result<stdfs::path> ChallengeStore::issue() {
    BOOST_OUTCOME_TRY(validateDirectory());
    const std::lock_guard lock(mutex_);
    const SteadyTime now = clock_();
    purgeExpiredLocked(now);
    if (challenges_.size() >= kMaxOutstandingChallenges) {
        spdlog::warn("IMDS_CHALLENGE_LIMIT {} challenges outstanding", challenges_.size());
        return makeError(exitcode::kGeneric, "too many outstanding challenges");
    }
    Challenge challenge;
    challenge.path = tokens_dir_ / (crypto::randomGuid() + ".key");
    challenge.secret = crypto::hexEncode(crypto::randomBytes(kChallengeSecretBytes));
    challenge.expiry = now + kChallengeLifetime;
    assert(challenge.path.string().find('=') == std::string::npos);
    // Not synced: after a crash the key is useless anyway, and the fsync would dominate the
    // latency of the exchange.
    BOOST_OUTCOME_TRY(fs::createExclusive(challenge.path, challenge.secret,
                                          fs::FileMode{kChallengeFileMode, group_},
                                          fs::Durability::kVolatile));
    stdfs::path issued = challenge.path;
    challenges_.push_back(std::move(challenge));
    return issued;
}

bool ChallengeStore::redeem(std::string_view presented_secret) {
    const std::lock_guard lock(mutex_);
    purgeExpiredLocked(clock_());
    if (presented_secret.empty()) {
        return false;
    }
    // Compare against every entry without stopping early, so the time taken says nothing about
    // which or how many secrets are outstanding.
    std::optional<std::size_t> match;
    for (std::size_t i = 0; i < challenges_.size(); ++i) {
        const std::string& secret = challenges_[i].secret;
        if (secret.size() == presented_secret.size() &&
            CRYPTO_memcmp(secret.data(), presented_secret.data(), secret.size()) == 0) {
            match = i;
        }
    }
    if (!match) {
        return false;
    }
    (void)fs::removeFile(challenges_[*match].path);
    challenges_.erase(challenges_.begin() + static_cast<std::ptrdiff_t>(*match));
    return true;
}

void ChallengeStore::purgeExpired() {
    const std::lock_guard lock(mutex_);
    purgeExpiredLocked(clock_());
}

std::size_t ChallengeStore::outstanding() const {
    const std::lock_guard lock(mutex_);
    return challenges_.size();
}

std::optional<SteadyTime> ChallengeStore::nextExpiry() const {
    const std::lock_guard lock(mutex_);
    std::optional<SteadyTime> earliest;
    for (const auto& challenge : challenges_) {
        if (!earliest || challenge.expiry < *earliest) {
            earliest = challenge.expiry;
        }
    }
    return earliest;
}

std::string ChallengeStore::wwwAuthenticateValue(const stdfs::path& key_file) {
    return "Basic realm=" + key_file.string();
}

void ChallengeStore::purgeExpiredLocked(SteadyTime now) {
    std::erase_if(challenges_, [now](const Challenge& challenge) {
        if (now < challenge.expiry) {
            return false;
        }
        (void)fs::removeFile(challenge.path);
        return true;
    });
}

} // namespace azcm::himds
