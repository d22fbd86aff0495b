// "local_group": a group exists (with at least the given members) or does not.
#include "properties.hpp"
#include "resource_type.hpp"

#include <algorithm>

namespace azcm::gc {

namespace {

struct GroupProperties {
    std::string name;
    bool present = true;
    std::vector<std::string> members; // must be members (others allowed)
};

Result<GroupProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    GroupProperties out;
    AZCM_ASSIGN_OR_RETURN(out.name, reader.requiredString("name"));
    BOOST_OUTCOME_TRY(checkSafeName("group", out.name));
    BOOST_OUTCOME_TRY(ensure, reader.choice("ensure", {"present", "absent"}, "present"));
    out.present = ensure == "present";
    BOOST_OUTCOME_TRY(members, reader.optionalStringList("members"));
    out.members = members.value_or(std::vector<std::string>{});
    for (const auto& member : out.members) {
        BOOST_OUTCOME_TRY(checkSafeName("user", member));
    }
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    if (!out.present && !out.members.empty()) {
        return propertyError("members only applies to ensure \"present\"");
    }
    return out;
}

std::vector<std::string> missingMembers(const GroupProperties& props, const GroupInfo& group) {
    std::vector<std::string> missing;
    for (const auto& member : props.members) {
        if (std::find(group.members.begin(), group.members.end(), member) == group.members.end()) {
            missing.push_back(member);
        }
    }
    return missing;
}

class LocalGroupResource final : public ResourceType {
public:
    std::string_view name() const override { return "local_group"; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& backend,
                             const EngineContext& /*context*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(group, backend.findGroup(props.name));
        if (!props.present) {
            if (group) {
                return TestOutcome{false, "group " + props.name + " exists, expected absent"};
            }
            return TestOutcome{true, "group " + props.name + " does not exist"};
        }
        if (!group) {
            return TestOutcome{false, "group " + props.name + " does not exist"};
        }
        auto missing = missingMembers(props, *group);
        if (!missing.empty()) {
            std::string list;
            for (const auto& member : missing) {
                list += (list.empty() ? "" : ", ") + member;
            }
            return TestOutcome{false, "group " + props.name + " lacks member(s) " + list};
        }
        return TestOutcome{true, "group " + props.name + " exists"};
    }

    Result<void> set(const nlohmann::json& properties,
                     Backend& backend,
                     const EngineContext& /*context*/,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(group, backend.findGroup(props.name));
        if (!props.present) {
            return group ? backend.deleteGroup(props.name) : ok();
        }
        if (!group) {
            BOOST_OUTCOME_TRY(backend.createGroup(props.name));
            AZCM_ASSIGN_OR_RETURN(group, backend.findGroup(props.name));
            if (!group) {
                return makeError(exitcode::kGeneric, "group " + props.name + " was not created");
            }
        }
        for (const auto& member : missingMembers(props, *group)) {
            BOOST_OUTCOME_TRY(backend.addGroupMember(props.name, member));
        }
        return ok();
    }
};

} // namespace

std::unique_ptr<ResourceType> makeLocalGroupResource() {
    return std::make_unique<LocalGroupResource>();
}

} // namespace azcm::gc
