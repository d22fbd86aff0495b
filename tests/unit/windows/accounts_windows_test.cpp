// Accounts by number on Windows: a group id is the RID of a local group of the machine's account
// domain; anything else (a builtin group, a user, a service) has no number, so access granted by
// a numeric group reaches nobody else (it fails closed), and the name lookups say why.
#include "common/config/local_config.hpp"
#include "common/platform/accounts.hpp"
#include "common/platform/user_groups.hpp"
#include "common/platform/windows/account_sid.hpp"
#include "common/platform/windows/nt_files.hpp"

#include <gtest/gtest.h>

namespace azcm::platform {
namespace {

TEST(AccountsWindows, NumericLookupsFindNoBuiltinGroupAndNoUser) {
    // Administrators exists on every Windows (and under wine): by SID it is found...
    auto administrators = windows::accountSid("Administrators");
    ASSERT_TRUE(administrators) << administrators.error().message;
    EXPECT_EQ(administrators.value(), std::optional<std::string>("S-1-5-32-544"));
    // ...by number never: it is a builtin group, outside the account domain.
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

TEST(AccountsWindows, TheAccountDomainHasAMachineSid) {
    auto domain = windows::accountDomainSid();
    ASSERT_TRUE(domain) << domain.error().message;
    EXPECT_EQ(domain.value().rfind("S-1-5-21-", 0), 0U) << domain.value();
}

TEST(AccountsWindows, ARelativeIdIsTheOneNumberAfterTheDomain) {
    const std::string domain = "S-1-5-21-11-22-33";
    EXPECT_EQ(windows::relativeIdIn("S-1-5-21-11-22-33-1001", domain), 1001U);
    EXPECT_EQ(windows::relativeIdIn("S-1-5-21-11-22-33-4294967295", domain), 4294967295U);
    EXPECT_FALSE(windows::relativeIdIn("S-1-5-21-11-22-33-4294967296", domain)) << "above 32 bits";
    EXPECT_FALSE(windows::relativeIdIn("S-1-5-21-11-22-33", domain)) << "the domain itself";
    EXPECT_FALSE(windows::relativeIdIn("S-1-5-21-11-22-33-1001-2", domain)) << "two more numbers";
    EXPECT_FALSE(windows::relativeIdIn("S-1-5-21-11-22-333-1001", domain)) << "another domain";
    EXPECT_FALSE(windows::relativeIdIn("S-1-5-21-11-22-33-", domain));
    EXPECT_FALSE(windows::relativeIdIn("S-1-5-21-11-22-33--1", domain));
    EXPECT_FALSE(windows::relativeIdIn("S-1-5-32-544", domain));
    EXPECT_FALSE(windows::relativeIdIn("S-1-5-21-11-22-33-1001", "")) << "no domain";
}

TEST(AccountsWindows, LocalGroupSidFindsGroupsOnly) {
    auto administrators = windows::localGroupSid("Administrators");
    ASSERT_TRUE(administrators) << administrators.error().message;
    EXPECT_EQ(administrators.value(), std::optional<std::string>("S-1-5-32-544"));
    auto system = windows::localGroupSid("SYSTEM");
    ASSERT_TRUE(system) << system.error().message;
    EXPECT_FALSE(system.value()) << "a well-known account is not a local group";
    auto missing = windows::localGroupSid("no-such-group-azcm-test");
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_FALSE(missing.value());
}

// The proxy secret's group is the installer's local group azcmproxy; where it does not exist (no
// installer ran here; wine's NetLocalGroupAdd creates nothing) the secret stays private to its
// owner and the administrators.
TEST(AccountsWindows, ProxySecretHasNoGroupReaderWithoutItsGroup) {
    auto group = windows::localGroupSid(config::kProxySecretGroup);
    ASSERT_TRUE(group) << group.error().message;
    if (!group.value()) {
        EXPECT_FALSE(config::defaultSecretFileAccess().group);
    } else {
        auto domain = windows::accountDomainSid();
        ASSERT_TRUE(domain) << domain.error().message;
        EXPECT_EQ(config::defaultSecretFileAccess().group,
                  windows::relativeIdIn(*group.value(), domain.value()));
    }
}

TEST(AccountsWindows, AGroupSharedFileGrantsTheGroupItsBitsOnly) {
    auto read_only = windows::groupSharedFileSddl(L"S-1-5-20", L"S-1-5-21-1-2-3-1005", 0640);
    ASSERT_TRUE(read_only) << read_only.error().message;
    EXPECT_EQ(read_only.value(), L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;S-1-5-20)"
                                 L"(A;;FR;;;S-1-5-21-1-2-3-1005)");
    auto read_write = windows::groupSharedFileSddl(L"S-1-5-18", L"S-1-5-21-1-2-3-1005", 0660);
    ASSERT_TRUE(read_write) << read_write.error().message;
    EXPECT_NE(read_write.value().find(L"(A;;FRFW;;;S-1-5-21-1-2-3-1005)"), std::wstring::npos);
    EXPECT_FALSE(windows::groupSharedFileSddl(L"S-1-5-18", L"S-1-5-21-1-2-3-1005", 0644))
        << "others get nothing on Windows: there is no 'others' entry to give";
    EXPECT_FALSE(windows::groupSharedFileSddl(L"S-1-5-18", L"S-1-5-21-1-2-3-1005", 0600))
        << "a group with no bits";
}

} // namespace
} // namespace azcm::platform
