// The file-based challenge of the IMDS token endpoint: key files, single use, expiry, directory
// checks.
#include "common/clock.hpp"
#include "common/fs/atomic_file.hpp"
#include "himds/challenge_store.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace stdfs = std::filesystem;
using azcm::himds::ChallengeStore;

// Restores the umask however a test ends.
class UmaskGuard {
public:
    explicit UmaskGuard(mode_t mask) : previous_(::umask(mask)) {}
    ~UmaskGuard() { ::umask(previous_); }
    UmaskGuard(const UmaskGuard&) = delete;
    UmaskGuard& operator=(const UmaskGuard&) = delete;

private:
    mode_t previous_;
};

mode_t lstatModeOf(const stdfs::path& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode;
}

std::string contentOf(const stdfs::path& path) {
    auto content = azcm::fs::readFile(path);
    EXPECT_TRUE(content) << path;
    return content ? content.value() : std::string();
}

class ChallengeStoreTest : public ::testing::Test {
protected:
    ChallengeStoreTest() { stdfs::permissions(dir_.path(), stdfs::perms(0750)); }

    azcm::test::TempDir dir_;
    azcm::ManualClock clock_;
    ChallengeStore store_{dir_.path(), std::nullopt, clock_.steady()};
};

TEST_F(ChallengeStoreTest, KeyFileHasFinalModeEvenUnderRestrictiveUmask) {
    const UmaskGuard guard(077);
    auto path = store_.issue();
    ASSERT_TRUE(path) << path.error().message;
    EXPECT_TRUE(S_ISREG(lstatModeOf(path.value())));
    EXPECT_EQ(lstatModeOf(path.value()) & 07777, 0640U);
}

TEST_F(ChallengeStoreTest, KeyFileHasConfiguredGroup) {
    // Our own primary group is the one group an unprivileged test may always set.
    ChallengeStore store(dir_.path(), ::getegid(), clock_.steady());
    auto path = store.issue();
    ASSERT_TRUE(path) << path.error().message;
    struct stat st {};
    ASSERT_EQ(::lstat(path.value().c_str(), &st), 0);
    EXPECT_EQ(st.st_gid, ::getegid());
}

TEST_F(ChallengeStoreTest, KeyFileIsGuidNamedInTokensDirWithoutEquals) {
    auto path = store_.issue();
    ASSERT_TRUE(path);
    EXPECT_EQ(path.value().parent_path(), dir_.path());
    EXPECT_EQ(path.value().extension(), ".key");
    EXPECT_EQ(path.value().stem().string().size(), 36U); // a GUID
    EXPECT_EQ(path.value().string().find('='), std::string::npos);
}

TEST_F(ChallengeStoreTest, ContentIs256BitsOfLowerHexWithoutNewline) {
    auto path = store_.issue();
    ASSERT_TRUE(path);
    const std::string content = contentOf(path.value());
    EXPECT_EQ(content.size(), 64U);
    EXPECT_LE(content.size(), 4096U);
    EXPECT_TRUE(std::all_of(content.begin(), content.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    })) << content;
}

TEST_F(ChallengeStoreTest, EachChallengeHasItsOwnFileAndSecret) {
    auto first = store_.issue();
    auto second = store_.issue();
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_NE(first.value(), second.value());
    EXPECT_NE(contentOf(first.value()), contentOf(second.value()));
    EXPECT_EQ(store_.outstanding(), 2U);
}

TEST_F(ChallengeStoreTest, SecretIsSingleUseAndItsFileIsDeleted) {
    auto path = store_.issue();
    ASSERT_TRUE(path);
    const std::string secret = contentOf(path.value());
    EXPECT_TRUE(store_.redeem(secret));
    EXPECT_FALSE(stdfs::exists(path.value()));
    EXPECT_FALSE(store_.redeem(secret));
    EXPECT_EQ(store_.outstanding(), 0U);
}

TEST_F(ChallengeStoreTest, RedeemingOneChallengeLeavesTheOthers) {
    auto first = store_.issue();
    auto second = store_.issue();
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    const std::string second_secret = contentOf(second.value());
    EXPECT_TRUE(store_.redeem(contentOf(first.value())));
    EXPECT_TRUE(stdfs::exists(second.value()));
    EXPECT_TRUE(store_.redeem(second_secret));
}

TEST_F(ChallengeStoreTest, SecretIsValidUpToSixtySeconds) {
    auto path = store_.issue();
    ASSERT_TRUE(path);
    clock_.advance(std::chrono::seconds(59));
    EXPECT_TRUE(store_.redeem(contentOf(path.value())));
}

TEST_F(ChallengeStoreTest, ExpiredSecretIsRefusedAndItsFilePurged) {
    auto path = store_.issue();
    ASSERT_TRUE(path);
    const std::string secret = contentOf(path.value());
    clock_.advance(std::chrono::seconds(60));
    EXPECT_FALSE(store_.redeem(secret));
    EXPECT_FALSE(stdfs::exists(path.value()));
    EXPECT_EQ(store_.outstanding(), 0U);
}

TEST_F(ChallengeStoreTest, PurgeExpiredDeletesOnlyExpiredFiles) {
    auto old_path = store_.issue();
    ASSERT_TRUE(old_path);
    clock_.advance(std::chrono::seconds(30));
    auto young_path = store_.issue();
    ASSERT_TRUE(young_path);
    clock_.advance(std::chrono::seconds(31));
    store_.purgeExpired();
    EXPECT_FALSE(stdfs::exists(old_path.value()));
    EXPECT_TRUE(stdfs::exists(young_path.value()));
    EXPECT_EQ(store_.outstanding(), 1U);
}

struct BadSecretCase {
    const char* name;
    std::string (*make)(const std::string& secret);
};

class ChallengeFailureTest : public ChallengeStoreTest,
                             public ::testing::WithParamInterface<BadSecretCase> {};

TEST_P(ChallengeFailureTest, IsRefusedAndLeavesTheChallengeRedeemable) {
    auto path = store_.issue();
    ASSERT_TRUE(path);
    const std::string secret = contentOf(path.value());
    EXPECT_FALSE(store_.redeem(GetParam().make(secret)));
    EXPECT_TRUE(stdfs::exists(path.value()));
    EXPECT_TRUE(store_.redeem(secret));
}

INSTANTIATE_TEST_SUITE_P(
    Secrets,
    ChallengeFailureTest,
    ::testing::Values(
        BadSecretCase{"Empty", [](const std::string&) { return std::string(); }},
        BadSecretCase{"WrongSameLength",
                      [](const std::string& s) {
                          std::string wrong = s;
                          wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
                          return wrong;
                      }},
        BadSecretCase{"Prefix", [](const std::string& s) { return s.substr(0, 32); }},
        BadSecretCase{"TrailingNewline", [](const std::string& s) { return s + "\n"; }},
        BadSecretCase{"UpperCase",
                      [](const std::string& s) {
                          std::string upper = s;
                          std::transform(upper.begin(), upper.end(), upper.begin(),
                                         [](unsigned char c) { return std::toupper(c); });
                          return upper == s ? s + "X" : upper;
                      }},
        BadSecretCase{"ThePath", [](const std::string&) { return std::string("/tmp/x.key"); }}),
    [](const ::testing::TestParamInfo<BadSecretCase>& param_info) {
        return param_info.param.name;
    });

TEST_F(ChallengeStoreTest, UnknownSecretWithNothingOutstandingIsRefused) {
    EXPECT_FALSE(store_.redeem(std::string(64, 'a')));
}

TEST_F(ChallengeStoreTest, WwwAuthenticateCarriesThePathUnquotedAndNothingElse) {
    auto path = store_.issue();
    ASSERT_TRUE(path);
    EXPECT_EQ(ChallengeStore::wwwAuthenticateValue(path.value()),
              "Basic realm=" + path.value().string());
}

TEST_F(ChallengeStoreTest, OutstandingChallengesAreBounded) {
    for (std::size_t i = 0; i < azcm::himds::kMaxOutstandingChallenges; ++i) {
        ASSERT_TRUE(store_.issue()) << i;
    }
    auto refused = store_.issue();
    EXPECT_FALSE(refused);
    EXPECT_EQ(store_.outstanding(), azcm::himds::kMaxOutstandingChallenges);
    const auto files = std::distance(stdfs::directory_iterator(dir_.path()), {});
    EXPECT_EQ(static_cast<std::size_t>(files), azcm::himds::kMaxOutstandingChallenges);

    // Once the flood has expired, purging on issue makes room again.
    clock_.advance(azcm::himds::kChallengeLifetime);
    EXPECT_TRUE(store_.issue());
    EXPECT_EQ(store_.outstanding(), 1U);
}

TEST_F(ChallengeStoreTest, DestructionRemovesOutstandingKeyFiles) {
    stdfs::path path;
    {
        ChallengeStore store(dir_.path(), std::nullopt, clock_.steady());
        auto issued = store.issue();
        ASSERT_TRUE(issued);
        path = issued.value();
        EXPECT_TRUE(stdfs::exists(path));
    }
    EXPECT_FALSE(stdfs::exists(path));
}

// Directory checks.

TEST_F(ChallengeStoreTest, AcceptsPrivateDirectory) {
    EXPECT_TRUE(store_.validateDirectory());
}

TEST_F(ChallengeStoreTest, RefusesSymlinkedDirectory) {
    const stdfs::path real = dir_.path() / "real";
    const stdfs::path link = dir_.path() / "link";
    stdfs::create_directory(real);
    stdfs::permissions(real, stdfs::perms(0750));
    stdfs::create_directory_symlink(real, link);
    ChallengeStore store(link, std::nullopt, clock_.steady());
    EXPECT_FALSE(store.validateDirectory());
    EXPECT_FALSE(store.issue());
    EXPECT_TRUE(stdfs::is_empty(real));
}

TEST_F(ChallengeStoreTest, RefusesDirectoryWritableByOthers) {
    stdfs::permissions(dir_.path(), stdfs::perms(0757));
    EXPECT_FALSE(store_.validateDirectory());
    EXPECT_FALSE(store_.issue());
    stdfs::permissions(dir_.path(), stdfs::perms(01777));
    EXPECT_FALSE(store_.validateDirectory());
}

TEST_F(ChallengeStoreTest, GroupWritableOnlyWithTheConfiguredGroup) {
    stdfs::permissions(dir_.path(), stdfs::perms(0770));
    EXPECT_FALSE(store_.validateDirectory());
    ChallengeStore shared(dir_.path(), ::getegid(), clock_.steady());
    EXPECT_TRUE(shared.validateDirectory());
    ChallengeStore foreign(dir_.path(), ::getegid() + 1, clock_.steady());
    EXPECT_FALSE(foreign.validateDirectory());
}

TEST_F(ChallengeStoreTest, RefusesMissingDirectoryAndRegularFile) {
    ChallengeStore missing(dir_.path() / "missing", std::nullopt, clock_.steady());
    EXPECT_FALSE(missing.validateDirectory());
    const stdfs::path file = dir_.path() / "file";
    ASSERT_TRUE(azcm::fs::createExclusive(file, "x"));
    ChallengeStore not_dir(file, std::nullopt, clock_.steady());
    EXPECT_FALSE(not_dir.validateDirectory());
}

struct RealmPathCase {
    const char* name;
    const char* subdir;
};

class RealmPathTest : public ChallengeStoreTest,
                      public ::testing::WithParamInterface<RealmPathCase> {};

TEST_P(RealmPathTest, RefusesDirectoryThatCannotBeAnUnquotedRealm) {
    const stdfs::path dir = dir_.path() / GetParam().subdir;
    stdfs::create_directory(dir);
    stdfs::permissions(dir, stdfs::perms(0750));
    ChallengeStore store(dir, std::nullopt, clock_.steady());
    EXPECT_FALSE(store.validateDirectory());
    EXPECT_FALSE(store.issue());
    EXPECT_TRUE(stdfs::is_empty(dir));
}

INSTANTIATE_TEST_SUITE_P(Paths,
                         RealmPathTest,
                         ::testing::Values(RealmPathCase{"Equals", "a=b"},
                                           RealmPathCase{"Space", "a b"},
                                           RealmPathCase{"Quote", "a\"b"},
                                           RealmPathCase{"Comma", "a,b"}),
                         [](const ::testing::TestParamInfo<RealmPathCase>& param_info) {
                             return param_info.param.name;
                         });

TEST_F(ChallengeStoreTest, RefusesRelativeDirectory) {
    ChallengeStore store("tokens", std::nullopt, clock_.steady());
    EXPECT_FALSE(store.validateDirectory());
}

} // namespace
