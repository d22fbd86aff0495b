// "local_user": a user exists (and belongs to at least the given groups) or does not.
#include "gcservice/engine/resources/account_resource.hpp"

namespace azcm::gcservice {

std::unique_ptr<ResourceType> makeLocalUserResource() {
    AccountKind kind;
    kind.type_name = "local_user";
    kind.noun = "user";
    kind.list_property = "groups"; // supplementary groups the user must be in (others allowed)
    kind.list_noun = "group";
    kind.missing = "is not in group(s)";
    kind.find = [](Backend& backend,
                   const std::string& name) -> Result<std::optional<std::vector<std::string>>> {
        BOOST_OUTCOME_TRY(user, backend.findUser(name));
        return user ? std::optional(user->groups) : std::nullopt;
    };
    kind.create = [](Backend& backend, const std::string& name) {
        return backend.createUser(name);
    };
    kind.remove = [](Backend& backend, const std::string& name) {
        return backend.deleteUser(name);
    };
    kind.relate = [](Backend& backend, const std::string& user, const std::string& group) {
        return backend.addGroupMember(group, user);
    };
    return makeAccountResource(std::move(kind));
}

} // namespace azcm::gcservice
