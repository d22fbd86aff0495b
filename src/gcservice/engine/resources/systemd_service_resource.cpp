// "systemd_service": a unit enabled or not, active (running) or not.
#include "gcservice/engine/properties.hpp"
#include "gcservice/engine/resource_type.hpp"

namespace azcm::gcservice {

namespace {

struct ServiceProperties {
    std::string name;
    std::optional<bool> enabled;
    std::optional<bool> active;
};

Result<ServiceProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    ServiceProperties out;
    AZCM_ASSIGN_OR_RETURN(out.name, reader.requiredString("name"));
    BOOST_OUTCOME_TRY(checkSafeName("unit", out.name));
    AZCM_ASSIGN_OR_RETURN(out.enabled, reader.optionalBool("enabled"));
    AZCM_ASSIGN_OR_RETURN(out.active, reader.optionalBool("active"));
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    if (!out.enabled && !out.active) {
        return propertyError("at least one of enabled, active is required");
    }
    return out;
}

std::string word(bool value, const char* yes, const char* no) {
    return value ? yes : no;
}

class SystemdServiceResource final : public ResourceType {
public:
    std::string_view name() const override { return "systemd_service"; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& backend,
                             const EngineContext& /*context*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(state, backend.serviceState(props.name));
        if (!state.exists) {
            // A unit that is not installed is neither enabled nor active.
            if (props.enabled.value_or(false) || props.active.value_or(false)) {
                return TestOutcome{false, props.name + " is not installed"};
            }
            return TestOutcome{true, props.name + " is not installed"};
        }
        std::vector<std::string> drift;
        if (props.enabled && state.enabled != *props.enabled) {
            drift.push_back(word(state.enabled, "enabled", "disabled") + ", expected " +
                            word(*props.enabled, "enabled", "disabled"));
        }
        if (props.active && state.active != *props.active) {
            drift.push_back(word(state.active, "active", "inactive") + ", expected " +
                            word(*props.active, "active", "inactive"));
        }
        if (!drift.empty()) {
            std::string reason = props.name + " is ";
            for (size_t i = 0; i < drift.size(); ++i) {
                reason += (i ? "; " : "") + drift[i];
            }
            return TestOutcome{false, reason};
        }
        return TestOutcome{true, props.name + " is " + word(state.enabled, "enabled", "disabled") +
                                     " and " + word(state.active, "active", "inactive")};
    }

    Result<void> set(const nlohmann::json& properties,
                     Backend& backend,
                     const EngineContext& /*context*/,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(state, backend.serviceState(props.name));
        if (!state.exists) {
            return makeError(exitcode::kGeneric,
                             props.name + " is not installed; install its package first");
        }
        if (props.enabled && state.enabled != *props.enabled) {
            BOOST_OUTCOME_TRY(backend.setServiceEnabled(props.name, *props.enabled));
        }
        if (props.active && state.active != *props.active) {
            BOOST_OUTCOME_TRY(backend.setServiceActive(props.name, *props.active));
        }
        return ok();
    }
};

} // namespace

std::unique_ptr<ResourceType> makeSystemdServiceResource() {
    return std::make_unique<SystemdServiceResource>();
}

} // namespace azcm::gcservice
