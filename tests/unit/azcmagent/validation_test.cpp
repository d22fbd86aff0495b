#include "azcmagent/validation.hpp"

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

TEST(ResourceName, FiftyFourCharactersAccepted) {
    EXPECT_TRUE(validateResourceName(std::string(54, 'a')));
    EXPECT_TRUE(validateResourceName("web-01.contoso_x1"));
}

TEST(ResourceName, FiftyFiveCharactersRefusedNamingTheLimit) {
    auto result = validateResourceName(std::string(55, 'a'));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, exitcode::kInvalidArgument);
    EXPECT_NE(result.error().message.find("54 characters"), std::string::npos);
}

TEST(ResourceName, TrailingDashOrUnderscoreRefused) {
    EXPECT_FALSE(validateResourceName("web01-"));
    EXPECT_FALSE(validateResourceName("web01_"));
    EXPECT_TRUE(validateResourceName("web01."));
}

TEST(ResourceName, BadCharactersAndEmptyRefused) {
    for (const char* name : {"", "web 01", "web/01", "web?01", "wéb", "a%2F"}) {
        auto result = validateResourceName(name);
        ASSERT_FALSE(result) << name;
        EXPECT_EQ(result.error().code, exitcode::kInvalidArgument);
    }
}

TEST(ResourceGroup, ArmRules) {
    EXPECT_TRUE(validateResourceGroup("rg-arc_(test).1"));
    EXPECT_FALSE(validateResourceGroup("rg."));
    EXPECT_FALSE(validateResourceGroup("rg/x"));
    EXPECT_FALSE(validateResourceGroup(std::string(91, 'r')));
}

TEST(Location, SpacesRemovedAndLowerCased) {
    auto location = normalizeLocation(" East US 2 ");
    ASSERT_TRUE(location);
    EXPECT_EQ(location.value(), "eastus2");
    EXPECT_FALSE(normalizeLocation("east/us"));
    EXPECT_FALSE(normalizeLocation("   "));
}

TEST(Identifiers, SubscriptionTenantAndGuid) {
    EXPECT_TRUE(validateSubscription("00000000-1111-2222-3333-444444444444"));
    EXPECT_FALSE(validateSubscription("sub/../x"));
    EXPECT_TRUE(validateTenant("contoso.onmicrosoft.com"));
    EXPECT_FALSE(validateTenant("a b"));
    EXPECT_TRUE(isGuid("0a1b2c3d-1111-2222-3333-444444444444"));
    EXPECT_FALSE(isGuid("0a1b2c3d-1111-2222-3333-44444444444"));
    EXPECT_FALSE(isGuid("0a1b2c3d11111-2222-3333-444444444444"));
}

} // namespace
} // namespace azcm::azcmagent
