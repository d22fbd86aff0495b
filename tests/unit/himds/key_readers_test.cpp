// Which callers share the key readers' rate-limit budget: root, himds's own uid and the members
// of the token group, with memberships remembered for a minute.
#include "common/platform/user_groups.hpp"
#include "himds/key_readers.hpp"

#include <gtest/gtest.h>

namespace {

using azcm::himds::KeyReaders;
using namespace std::chrono_literals;

constexpr std::uint32_t kHimdsUid = 990;
constexpr std::uint32_t kTokenGroup = 991;
constexpr std::uint32_t kMember = 1001;
constexpr std::uint32_t kOutsider = 1002;

struct FakeDatabase {
    std::shared_ptr<int> lookups = std::make_shared<int>(0);
    std::shared_ptr<bool> member_in_group = std::make_shared<bool>(true);
    KeyReaders::MembershipLookup lookup() const {
        return [lookups = lookups, member = member_in_group](std::uint32_t uid, std::uint32_t gid) {
            ++*lookups;
            return gid == kTokenGroup && uid == kMember && *member;
        };
    }
};

TEST(KeyReaders, RootHimdsAndGroupMembers) {
    FakeDatabase database;
    KeyReaders readers(kHimdsUid, kTokenGroup, database.lookup());
    EXPECT_TRUE(readers.contains(0U));
    EXPECT_TRUE(readers.contains(kHimdsUid));
    EXPECT_TRUE(readers.contains(kMember));
    EXPECT_FALSE(readers.contains(kOutsider));
    EXPECT_FALSE(readers.contains(std::nullopt)) << "an unknown caller is nobody";
}

TEST(KeyReaders, WithoutATokenGroupOnlyRootAndHimds) {
    FakeDatabase database;
    KeyReaders readers(kHimdsUid, std::nullopt, database.lookup());
    EXPECT_TRUE(readers.contains(0U));
    EXPECT_TRUE(readers.contains(kHimdsUid));
    EXPECT_FALSE(readers.contains(kMember));
    EXPECT_EQ(*database.lookups, 0);
}

TEST(KeyReaders, MembershipIsRememberedForAMinute) {
    FakeDatabase database;
    azcm::ManualClock time;
    KeyReaders readers(kHimdsUid, kTokenGroup, database.lookup(), time.steady());
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(readers.contains(kMember));
    }
    EXPECT_EQ(*database.lookups, 1);
    *database.member_in_group = false; // `gpasswd -d`
    time.advance(KeyReaders::kRememberFor);
    EXPECT_FALSE(readers.contains(kMember));
    EXPECT_EQ(*database.lookups, 2);
}

TEST(KeyReaders, TheUserDatabaseIsAskedByDefault) {
    EXPECT_TRUE(azcm::platform::accountHasGroup(0, 0)) << "root's primary group";
    EXPECT_FALSE(azcm::platform::accountHasGroup(4000000000U, 0)) << "no account has that uid";
    KeyReaders readers(kHimdsUid, 0U);
    EXPECT_FALSE(readers.contains(4000000000U));
}

} // namespace
