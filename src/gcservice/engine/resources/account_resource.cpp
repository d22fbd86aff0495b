#include "gcservice/engine/resources/account_resource.hpp"

#include "gcservice/engine/properties.hpp"

#include <algorithm>

namespace azcm::gcservice {

namespace {

struct AccountProperties {
    std::string name;
    bool present = true;
    std::vector<std::string> related; // must be related (others allowed)
};

class AccountResource final : public ResourceType {
public:
    explicit AccountResource(AccountKind kind) : kind_(std::move(kind)) {}

    std::string_view name() const override { return kind_.type_name; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& backend,
                             const EngineContext& /*context*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(related, kind_.find(backend, props.name));
        const std::string account = std::string(kind_.noun) + " " + props.name;
        if (!props.present) {
            return related ? TestOutcome{false, account + " exists, expected absent"}
                           : TestOutcome{true, account + " does not exist"};
        }
        if (!related) {
            return TestOutcome{false, account + " does not exist"};
        }
        const auto missing = missingFrom(props, *related);
        if (!missing.empty()) {
            std::string list;
            for (const auto& name : missing) {
                list += (list.empty() ? "" : ", ") + name;
            }
            return TestOutcome{false, account + " " + std::string(kind_.missing) + " " + list};
        }
        return TestOutcome{true, account + " exists"};
    }

    Result<void> set(const nlohmann::json& properties,
                     Backend& backend,
                     const EngineContext& /*context*/,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(related, kind_.find(backend, props.name));
        if (!props.present) {
            return related ? kind_.remove(backend, props.name) : ok();
        }
        if (!related) {
            BOOST_OUTCOME_TRY(kind_.create(backend, props.name));
            AZCM_ASSIGN_OR_RETURN(related, kind_.find(backend, props.name));
            if (!related) {
                return makeError(exitcode::kGeneric,
                                 std::string(kind_.noun) + " " + props.name + " was not created");
            }
        }
        for (const auto& name : missingFrom(props, *related)) {
            BOOST_OUTCOME_TRY(kind_.relate(backend, props.name, name));
        }
        return ok();
    }

private:
    Result<AccountProperties> parse(const nlohmann::json& properties) const {
        PropertyReader reader(properties);
        AccountProperties out;
        AZCM_ASSIGN_OR_RETURN(out.name, reader.requiredString("name"));
        BOOST_OUTCOME_TRY(checkSafeName(kind_.noun, out.name));
        BOOST_OUTCOME_TRY(ensure, reader.choice("ensure", {"present", "absent"}, "present"));
        out.present = ensure == "present";
        BOOST_OUTCOME_TRY(related, reader.optionalStringList(std::string(kind_.list_property)));
        out.related = related.value_or(std::vector<std::string>{});
        for (const auto& name : out.related) {
            BOOST_OUTCOME_TRY(checkSafeName(kind_.list_noun, name));
        }
        BOOST_OUTCOME_TRY(reader.rejectUnknown());
        if (!out.present && !out.related.empty()) {
            return propertyError(std::string(kind_.list_property) +
                                 " only applies to ensure \"present\"");
        }
        return out;
    }

    static std::vector<std::string> missingFrom(const AccountProperties& props,
                                                const std::vector<std::string>& related) {
        std::vector<std::string> missing;
        for (const auto& name : props.related) {
            if (std::find(related.begin(), related.end(), name) == related.end()) {
                missing.push_back(name);
            }
        }
        return missing;
    }

    AccountKind kind_;
};

} // namespace

std::unique_ptr<ResourceType> makeAccountResource(AccountKind kind) {
    return std::make_unique<AccountResource>(std::move(kind));
}

} // namespace azcm::gcservice
