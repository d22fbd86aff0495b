#include "emulator/rbac.hpp"

#include <algorithm>
#include <cctype>

namespace azcm::emulator {

namespace {

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trimTrailingSlashes(std::string_view scope) {
    while (scope.size() > 1 && scope.back() == '/') {
        scope.remove_suffix(1);
    }
    return scope;
}

std::vector<RoleDefinition> makeRoles() {
    return {
        {std::string(kOwnerRoleId), "Owner", {"*"}, {}},
        {std::string(kContributorRoleId),
         "Contributor",
         {"*"},
         {"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
          "Microsoft.Authorization/elevateAccess/Action",
          "Microsoft.Blueprint/blueprintAssignments/write",
          "Microsoft.Blueprint/blueprintAssignments/delete",
          "Microsoft.Compute/galleries/share/action"}},
        {std::string(kReaderRoleId), "Reader", {"*/read"}, {}},
        {std::string(kOnboardingRoleId),
         "Azure Connected Machine Onboarding",
         {"Microsoft.HybridCompute/machines/read", "Microsoft.HybridCompute/machines/write",
          "Microsoft.HybridCompute/privateLinkScopes/read",
          "Microsoft.GuestConfiguration/guestConfigurationAssignments/read"},
         {}},
        {std::string(kResourceAdministratorRoleId),
         "Azure Connected Machine Resource Administrator",
         {"Microsoft.HybridCompute/machines/*", "Microsoft.HybridCompute/machines/extensions/*",
          "Microsoft.HybridCompute/machines/licenseProfiles/*",
          "Microsoft.HybridCompute/machines/runCommands/*",
          "Microsoft.HybridCompute/machines/UpgradeExtensions/action",
          "Microsoft.HybridCompute/privateLinkScopes/*", "Microsoft.HybridCompute/licenses/*",
          "Microsoft.HybridCompute/locations/*", "Microsoft.HybridCompute/*/read",
          "Microsoft.Resources/deployments/*"},
         {}},
    };
}

// Glob with '*' only, iterative with one backtrack point (classic wildcard matching).
bool globMatch(std::string_view pattern, std::string_view text) {
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star = std::string_view::npos;
    std::size_t resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && lower(pattern[p]) == lower(text[t])) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

} // namespace

const std::vector<RoleDefinition>& builtInRoles() {
    static const std::vector<RoleDefinition> kRoles = makeRoles();
    return kRoles;
}

const RoleDefinition* findRole(std::string_view name_or_id) {
    std::string_view id = name_or_id;
    // "/subscriptions/.../providers/Microsoft.Authorization/roleDefinitions/<guid>" also names one.
    if (const auto slash = id.rfind('/'); slash != std::string_view::npos) {
        id = id.substr(slash + 1);
    }
    for (const auto& role : builtInRoles()) {
        if (equalsIgnoreCase(role.name, name_or_id) || equalsIgnoreCase(role.id, id)) {
            return &role;
        }
    }
    return nullptr;
}

bool actionMatches(std::string_view pattern, std::string_view action) {
    return globMatch(pattern, action);
}

bool roleAllows(const RoleDefinition& role, std::string_view action) {
    const auto matches = [&](const std::string& pattern) { return actionMatches(pattern, action); };
    return std::any_of(role.actions.begin(), role.actions.end(), matches) &&
           std::none_of(role.not_actions.begin(), role.not_actions.end(), matches);
}

bool scopeCovers(std::string_view assignment_scope, std::string_view resource_scope) {
    assignment_scope = trimTrailingSlashes(assignment_scope);
    resource_scope = trimTrailingSlashes(resource_scope);
    if (assignment_scope == "/") {
        return true;
    }
    if (resource_scope.size() < assignment_scope.size()) {
        return false;
    }
    if (!equalsIgnoreCase(resource_scope.substr(0, assignment_scope.size()), assignment_scope)) {
        return false;
    }
    return resource_scope.size() == assignment_scope.size() ||
           resource_scope[assignment_scope.size()] == '/';
}

bool isAuthorized(const std::vector<RoleAssignment>& assignments,
                  std::string_view action,
                  std::string_view resource_scope) {
    return std::any_of(assignments.begin(), assignments.end(), [&](const RoleAssignment& a) {
        const auto* role = findRole(a.role_definition_id);
        return role != nullptr && scopeCovers(a.scope, resource_scope) && roleAllows(*role, action);
    });
}

bool mayHoldBelow(const std::vector<RoleAssignment>& assignments,
                  std::string_view action,
                  std::string_view scope) {
    return std::any_of(assignments.begin(), assignments.end(), [&](const RoleAssignment& a) {
        const auto* role = findRole(a.role_definition_id);
        return role != nullptr && roleAllows(*role, action) &&
               (scopeCovers(a.scope, scope) || scopeCovers(scope, a.scope));
    });
}

bool isValidScope(std::string_view scope) {
    if (scope == "/") {
        return true;
    }
    constexpr std::string_view kPrefix = "/subscriptions/";
    if (scope.size() <= kPrefix.size() ||
        !equalsIgnoreCase(scope.substr(0, kPrefix.size()), kPrefix)) {
        return false;
    }
    std::size_t segment_length = 0;
    for (std::size_t i = 1; i < scope.size(); ++i) {
        const char c = scope[i];
        if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f || c == '?' || c == '#') {
            return false;
        }
        if (c == '/') {
            if (segment_length == 0) {
                return false;
            }
            segment_length = 0;
        } else {
            ++segment_length;
        }
    }
    return segment_length > 0;
}

} // namespace azcm::emulator
