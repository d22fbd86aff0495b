// "sysctl": a kernel parameter has a value (runtime value in /proc/sys; making it survive a
// reboot is a "file" resource in /etc/sysctl.d).
#include "gcservice/engine/properties.hpp"
#include "gcservice/engine/resource_type.hpp"

#include <sstream>

namespace azcm::gcservice {

namespace {

struct SysctlProperties {
    std::string key;
    std::string value;
};

Result<SysctlProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    SysctlProperties out;
    AZCM_ASSIGN_OR_RETURN(out.key, reader.requiredString("key"));
    AZCM_ASSIGN_OR_RETURN(out.value, reader.requiredString("value"));
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    bool dot_ok = false;
    for (char c : out.key) {
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
        if (!letter && !(c == '.' && dot_ok)) {
            return propertyError("key \"" + out.key +
                                 "\" is not a sysctl name such as "
                                 "net.ipv4.ip_forward");
        }
        dot_ok = c != '.';
    }
    if (!dot_ok) {
        return propertyError("key \"" + out.key + "\" must not end with a dot");
    }
    return out;
}

// The kernel separates multi-value parameters with tabs; a package writes spaces.
std::string normalize(const std::string& value) {
    std::istringstream in(value);
    std::string word;
    std::string out;
    while (in >> word) {
        out += (out.empty() ? "" : " ") + word;
    }
    return out;
}

class SysctlResource final : public ResourceType {
public:
    std::string_view name() const override { return "sysctl"; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& backend,
                             const EngineContext& /*context*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(actual, backend.readSysctl(props.key));
        if (normalize(actual) == normalize(props.value)) {
            return TestOutcome{true, props.key + " is " + normalize(actual)};
        }
        return TestOutcome{false, props.key + " is " + normalize(actual) + ", expected " +
                                      normalize(props.value)};
    }

    Result<void> set(const nlohmann::json& properties,
                     Backend& backend,
                     const EngineContext& /*context*/,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        return backend.writeSysctl(props.key, props.value);
    }
};

} // namespace

std::unique_ptr<ResourceType> makeSysctlResource() {
    return std::make_unique<SysctlResource>();
}

} // namespace azcm::gcservice
