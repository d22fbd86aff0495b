// "local_group": a group exists (with at least the given members) or does not.
#include "gcservice/engine/resources/account_resource.hpp"

namespace azcm::gcservice {

std::unique_ptr<ResourceType> makeLocalGroupResource() {
    AccountKind kind;
    kind.type_name = "local_group";
    kind.noun = "group";
    kind.list_property = "members"; // users that must be members (others allowed)
    kind.list_noun = "user";
    kind.missing = "lacks member(s)";
    kind.find = [](Backend& backend,
                   const std::string& name) -> Result<std::optional<std::vector<std::string>>> {
        BOOST_OUTCOME_TRY(group, backend.findGroup(name));
        return group ? std::optional(group->members) : std::nullopt;
    };
    kind.create = [](Backend& backend, const std::string& name) {
        return backend.createGroup(name);
    };
    kind.remove = [](Backend& backend, const std::string& name) {
        return backend.deleteGroup(name);
    };
    kind.relate = [](Backend& backend, const std::string& group, const std::string& user) {
        return backend.addGroupMember(group, user);
    };
    return makeAccountResource(std::move(kind));
}

} // namespace azcm::gcservice
