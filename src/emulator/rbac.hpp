#pragma once
// Built-in Azure role definitions (docs/emulator.md) and the authorization check every ARM call
// makes: an assignment grants an action when its scope covers the resource scope (prefix on segment
// boundaries, case-insensitive) and its role's actions match the action minus its notActions.
#include "emulator/store.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace azcm::emulator {

inline constexpr std::string_view kOwnerRoleId = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
inline constexpr std::string_view kContributorRoleId = "b24988ac-6180-42a0-ab88-20f7382dd24c";
inline constexpr std::string_view kReaderRoleId = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
inline constexpr std::string_view kOnboardingRoleId = "b64e21ea-ac4e-4cdf-9dc9-5b892992bee7";
inline constexpr std::string_view kResourceAdministratorRoleId =
    "cd570a14-e51a-42ad-bac8-bafd67325302";

struct RoleDefinition {
    std::string id;
    std::string name;
    std::vector<std::string> actions;
    std::vector<std::string> not_actions;
};

const std::vector<RoleDefinition>& builtInRoles();
// By display name (case-insensitive), GUID, or full role definition id ending in the GUID.
const RoleDefinition* findRole(std::string_view name_or_id);

// '*' matches any run of characters (also '/'); comparison is case-insensitive.
bool actionMatches(std::string_view pattern, std::string_view action);
bool roleAllows(const RoleDefinition& role, std::string_view action);
// True when `assignment_scope` equals `resource_scope` or is a parent of it on '/' boundaries.
bool scopeCovers(std::string_view assignment_scope, std::string_view resource_scope);
bool isAuthorized(const std::vector<RoleAssignment>& assignments,
                  std::string_view action,
                  std::string_view resource_scope);
// True when some assignment could grant `action` at `scope` or anywhere below it (list filters).
bool mayHoldBelow(const std::vector<RoleAssignment>& assignments,
                  std::string_view action,
                  std::string_view scope);

// A scope for role assignments: "/" or "/subscriptions/<id>[/...]" without empty segments.
bool isValidScope(std::string_view scope);

namespace actions {
inline constexpr std::string_view kResourceGroupRead =
    "Microsoft.Resources/subscriptions/resourceGroups/read";
inline constexpr std::string_view kResourceGroupWrite =
    "Microsoft.Resources/subscriptions/resourceGroups/write";
inline constexpr std::string_view kResourceGroupDelete =
    "Microsoft.Resources/subscriptions/resourceGroups/delete";
inline constexpr std::string_view kSubscriptionRead = "Microsoft.Resources/subscriptions/read";
inline constexpr std::string_view kMachineRead = "Microsoft.HybridCompute/machines/read";
inline constexpr std::string_view kMachineWrite = "Microsoft.HybridCompute/machines/write";
inline constexpr std::string_view kMachineDelete = "Microsoft.HybridCompute/machines/delete";
inline constexpr std::string_view kExtensionRead =
    "Microsoft.HybridCompute/machines/extensions/read";
inline constexpr std::string_view kExtensionWrite =
    "Microsoft.HybridCompute/machines/extensions/write";
inline constexpr std::string_view kExtensionDelete =
    "Microsoft.HybridCompute/machines/extensions/delete";
} // namespace actions

} // namespace azcm::emulator
