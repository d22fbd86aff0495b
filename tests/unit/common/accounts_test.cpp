// Accounts from the name service and kernel parameters: guest configuration's user, group and
// kernel_setting resources read the machine through these.
#include "common/platform/accounts.hpp"
#include "common/platform/kernel_settings.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace azcm::platform {
namespace {

TEST(Accounts, RootIsFoundWithItsGroupsByName) {
    auto root = findUserAccount("root");
    ASSERT_TRUE(root) << root.error().message;
    ASSERT_TRUE(root.value());
    EXPECT_EQ(root.value()->uid, 0U);
    EXPECT_EQ(root.value()->gid, 0U);
    const auto& names = root.value()->group_names;
    EXPECT_NE(std::find(names.begin(), names.end(), "root"), names.end());

    auto group = findGroupAccount("root");
    ASSERT_TRUE(group) << group.error().message;
    ASSERT_TRUE(group.value());
    EXPECT_EQ(group.value()->gid, 0U);
}

TEST(Accounts, AnUnknownNameIsNotFoundRatherThanAnError) {
    auto user = findUserAccount("no-such-user-azcm");
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_FALSE(user.value());
    auto group = findGroupAccount("no-such-group-azcm");
    ASSERT_TRUE(group) << group.error().message;
    EXPECT_FALSE(group.value());
}

TEST(KernelSettings, ReadsAValueWithoutItsNewline) {
    auto value = readKernelSetting("kernel.ostype");
    ASSERT_TRUE(value) << value.error().message;
    EXPECT_EQ(value.value(), "Linux");
}

TEST(KernelSettings, AMissingOrReadOnlyKeyIsAnErrorNamingIt) {
    auto missing = readKernelSetting("kernel.no_such_setting");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("kernel.no_such_setting"), std::string::npos);
    // Read-only for everyone, root included (mode 0444 in /proc/sys).
    auto refused = writeKernelSetting("kernel.ostype", "Other");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("kernel.ostype = Other"), std::string::npos);
    EXPECT_EQ(readKernelSetting("kernel.ostype").value(), "Linux");
}

} // namespace
} // namespace azcm::platform
