// "local_user": a user exists (and belongs to at least the given groups) or does not.
#include "properties.hpp"
#include "resource_type.hpp"

#include <algorithm>

namespace azcm::gc {

namespace {

struct UserProperties {
    std::string name;
    bool present = true;
    std::vector<std::string> groups; // supplementary groups the user must be in (others allowed)
};

Result<UserProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    UserProperties out;
    AZCM_ASSIGN_OR_RETURN(out.name, reader.requiredString("name"));
    BOOST_OUTCOME_TRY(checkSafeName("user", out.name));
    BOOST_OUTCOME_TRY(ensure, reader.choice("ensure", {"present", "absent"}, "present"));
    out.present = ensure == "present";
    BOOST_OUTCOME_TRY(groups, reader.optionalStringList("groups"));
    out.groups = groups.value_or(std::vector<std::string>{});
    for (const auto& group : out.groups) {
        BOOST_OUTCOME_TRY(checkSafeName("group", group));
    }
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    if (!out.present && !out.groups.empty()) {
        return propertyError("groups only applies to ensure \"present\"");
    }
    return out;
}

std::vector<std::string> missingGroups(const UserProperties& props, const UserInfo& user) {
    std::vector<std::string> missing;
    for (const auto& group : props.groups) {
        if (std::find(user.groups.begin(), user.groups.end(), group) == user.groups.end()) {
            missing.push_back(group);
        }
    }
    return missing;
}

class LocalUserResource final : public ResourceType {
public:
    std::string_view name() const override { return "local_user"; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& backend,
                             const EngineContext& /*context*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(user, backend.findUser(props.name));
        if (!props.present) {
            if (user) {
                return TestOutcome{false, "user " + props.name + " exists, expected absent"};
            }
            return TestOutcome{true, "user " + props.name + " does not exist"};
        }
        if (!user) {
            return TestOutcome{false, "user " + props.name + " does not exist"};
        }
        auto missing = missingGroups(props, *user);
        if (!missing.empty()) {
            std::string list;
            for (const auto& group : missing) {
                list += (list.empty() ? "" : ", ") + group;
            }
            return TestOutcome{false, "user " + props.name + " is not in group(s) " + list};
        }
        return TestOutcome{true, "user " + props.name + " exists"};
    }

    Result<void> set(const nlohmann::json& properties,
                     Backend& backend,
                     const EngineContext& /*context*/,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(user, backend.findUser(props.name));
        if (!props.present) {
            return user ? backend.deleteUser(props.name) : ok();
        }
        if (!user) {
            BOOST_OUTCOME_TRY(backend.createUser(props.name));
            AZCM_ASSIGN_OR_RETURN(user, backend.findUser(props.name));
            if (!user) {
                return makeError(exitcode::kGeneric, "user " + props.name + " was not created");
            }
        }
        for (const auto& group : missingGroups(props, *user)) {
            BOOST_OUTCOME_TRY(backend.addGroupMember(group, props.name));
        }
        return ok();
    }
};

} // namespace

std::unique_ptr<ResourceType> makeLocalUserResource() {
    return std::make_unique<LocalUserResource>();
}

} // namespace azcm::gc
