// Accounts by number on Windows find nobody, whatever exists under that name: access granted by
// a numeric group never reaches anyone there (it fails closed), and the name lookups say why.
#include "common/config/local_config.hpp"
#include "common/platform/accounts.hpp"
#include "common/platform/user_groups.hpp"
#include "common/platform/windows/account_sid.hpp"

#include <gtest/gtest.h>

namespace azcm::platform {
namespace {

TEST(AccountsWindows, NumericLookupsFindNobodyEvenWhereTheNameExists) {
    // Administrators exists on every Windows (and under wine): by SID it is found...
    auto administrators = windows::accountSid("Administrators");
    ASSERT_TRUE(administrators) << administrators.error().message;
    EXPECT_EQ(administrators.value(), std::optional<std::string>("S-1-5-32-544"));
    // ...by number never.
    EXPECT_FALSE(groupId("Administrators"));
    EXPECT_FALSE(userId("Administrator"));
    EXPECT_FALSE(accountHasGroup(0, 0));
    EXPECT_EQ(userName(42), "uid 42");
}

TEST(AccountsWindows, AccountRecordsAreRefusedAsUnsupported) {
    auto user = findUserAccount("Administrator");
    ASSERT_FALSE(user);
    EXPECT_EQ(user.error().code, exitcode::kUnsupported);
    EXPECT_NE(user.error().message.find("SID"), std::string::npos);
    auto group = findGroupAccount("Administrators");
    ASSERT_FALSE(group);
    EXPECT_EQ(group.error().code, exitcode::kUnsupported);
}

TEST(AccountsWindows, NoSuchAccountBySidIsNoneNotAnError) {
    auto missing = windows::accountSid("no-such-account-azcm-test");
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_FALSE(missing.value());
}

// The proxy secret's group is numeric: on Windows the secret stays private to its owner and the
// administrators.
TEST(AccountsWindows, ProxySecretHasNoGroupReader) {
    EXPECT_FALSE(config::defaultSecretFileAccess().group);
}

} // namespace
} // namespace azcm::platform
