#include "emulator/rbac.hpp"

#include <gtest/gtest.h>

namespace azcm::emulator {
namespace {

std::vector<RoleAssignment> assign(std::string_view role, const std::string& scope) {
    return {RoleAssignment{"a1", "principal", std::string(role), scope}};
}

const std::string kSub = "/subscriptions/11111111-2222-3333-4444-555555555555";
const std::string kMachine =
    kSub + "/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/m1";

TEST(Rbac, FindsRolesByNameAnyCaseAndById) {
    ASSERT_NE(findRole("azure connected machine onboarding"), nullptr);
    EXPECT_EQ(findRole("Azure Connected Machine Onboarding")->id, kOnboardingRoleId);
    ASSERT_NE(findRole("acdd72a7-3385-48ef-bd42-f606fba81ae7"), nullptr);
    EXPECT_EQ(findRole("ACDD72A7-3385-48EF-BD42-F606FBA81AE7")->name, "Reader");
    EXPECT_EQ(findRole(kSub + "/providers/Microsoft.Authorization/roleDefinitions/" +
                       std::string(kOwnerRoleId))
                  ->name,
              "Owner");
    EXPECT_EQ(findRole("Global Administrator"), nullptr);
}

TEST(Rbac, WildcardsMatchAnywhereCaseInsensitively) {
    EXPECT_TRUE(actionMatches("*", "Microsoft.HybridCompute/machines/delete"));
    EXPECT_TRUE(actionMatches("*/read", "Microsoft.HybridCompute/machines/read"));
    EXPECT_TRUE(actionMatches("microsoft.hybridcompute/machines/*",
                              "Microsoft.HybridCompute/machines/extensions/write"));
    EXPECT_TRUE(
        actionMatches("Microsoft.HybridCompute/*/read", "Microsoft.HybridCompute/machines/read"));
    EXPECT_FALSE(actionMatches("*/read", "Microsoft.HybridCompute/machines/write"));
    EXPECT_FALSE(actionMatches("Microsoft.HybridCompute/machines/read",
                               "Microsoft.HybridCompute/machines/readx"));
}

TEST(Rbac, OnboardingWritesMachinesButCannotDelete) {
    const auto assignments = assign(kOnboardingRoleId, kSub);
    EXPECT_TRUE(isAuthorized(assignments, actions::kMachineRead, kMachine));
    EXPECT_TRUE(isAuthorized(assignments, actions::kMachineWrite, kMachine));
    EXPECT_FALSE(isAuthorized(assignments, actions::kMachineDelete, kMachine));
    EXPECT_FALSE(
        isAuthorized(assignments, actions::kResourceGroupWrite, kSub + "/resourceGroups/rg1"));
}

TEST(Rbac, ReaderOnlyReads) {
    const auto assignments = assign(kReaderRoleId, kSub);
    EXPECT_TRUE(isAuthorized(assignments, actions::kMachineRead, kMachine));
    EXPECT_TRUE(
        isAuthorized(assignments, actions::kResourceGroupRead, kSub + "/resourceGroups/rg1"));
    EXPECT_FALSE(isAuthorized(assignments, actions::kMachineWrite, kMachine));
    EXPECT_FALSE(isAuthorized(assignments, actions::kMachineDelete, kMachine));
}

TEST(Rbac, ResourceAdministratorDeletesMachinesButNotGroups) {
    const auto assignments = assign(kResourceAdministratorRoleId, kSub);
    EXPECT_TRUE(isAuthorized(assignments, actions::kMachineDelete, kMachine));
    EXPECT_TRUE(isAuthorized(assignments, "Microsoft.HybridCompute/machines/extensions/write",
                             kMachine + "/extensions/e1"));
    EXPECT_FALSE(
        isAuthorized(assignments, actions::kResourceGroupDelete, kSub + "/resourceGroups/rg1"));
}

TEST(Rbac, ContributorIsBlockedFromAuthorizationWrites) {
    const auto assignments = assign(kContributorRoleId, kSub);
    EXPECT_TRUE(isAuthorized(assignments, actions::kMachineDelete, kMachine));
    EXPECT_FALSE(isAuthorized(assignments, "Microsoft.Authorization/roleAssignments/write", kSub));
    EXPECT_TRUE(isAuthorized(assign(kOwnerRoleId, kSub),
                             "Microsoft.Authorization/roleAssignments/write", kSub));
}

TEST(Rbac, ScopeCoversOnlyOnSegmentBoundaries) {
    EXPECT_TRUE(scopeCovers(kSub + "/resourceGroups/rg1", kSub + "/resourceGroups/rg1"));
    EXPECT_TRUE(scopeCovers(kSub + "/resourceGroups/rg1", kMachine));
    EXPECT_TRUE(scopeCovers(kSub + "/RESOURCEGROUPS/RG1/", kMachine));
    EXPECT_FALSE(scopeCovers(kSub + "/resourceGroups/rg1", kSub + "/resourceGroups/rg10"));
    EXPECT_FALSE(scopeCovers(kSub + "/resourceGroups/rg1",
                             kSub + "/resourceGroups/rg10/providers/Microsoft.HybridCompute/"
                                    "machines/m1"));
    EXPECT_FALSE(scopeCovers(kSub + "/resourceGroups/rg1", kSub));
    EXPECT_TRUE(scopeCovers("/", kMachine));
    const auto assignments = assign(kResourceAdministratorRoleId, kSub + "/resourceGroups/rg1");
    EXPECT_TRUE(isAuthorized(assignments, actions::kMachineDelete, kMachine));
    EXPECT_FALSE(isAuthorized(assignments, actions::kMachineDelete,
                              kSub + "/resourceGroups/rg10/providers/Microsoft.HybridCompute/"
                                     "machines/m1"));
}

TEST(Rbac, UnknownRoleDefinitionGrantsNothing) {
    EXPECT_FALSE(isAuthorized(assign("00000000-0000-0000-0000-000000000000", "/"),
                              actions::kMachineRead, kMachine));
}

TEST(Rbac, ValidatesAssignmentScopes) {
    EXPECT_TRUE(isValidScope("/"));
    EXPECT_TRUE(isValidScope(kSub));
    EXPECT_TRUE(isValidScope(kSub + "/resourceGroups/rg"));
    EXPECT_FALSE(isValidScope(""));
    EXPECT_FALSE(isValidScope("/subscriptions/"));
    EXPECT_FALSE(isValidScope("subscriptions/x"));
    EXPECT_FALSE(isValidScope("/subscriptions//x"));
    EXPECT_FALSE(isValidScope("/subscriptions/x y"));
    EXPECT_FALSE(isValidScope("/tenants/x"));
}

} // namespace
} // namespace azcm::emulator
