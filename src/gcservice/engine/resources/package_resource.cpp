// "package": an OS package installed or absent, in the dpkg or rpm database.
#include "gcservice/engine/properties.hpp"
#include "gcservice/engine/resource_type.hpp"

namespace azcm::gcservice {

namespace {

struct PackageProperties {
    std::string name;
    bool present = true;
    PackageManager manager = PackageManager::kAuto;
};

Result<PackageProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    PackageProperties out;
    AZCM_ASSIGN_OR_RETURN(out.name, reader.requiredString("name"));
    BOOST_OUTCOME_TRY(checkSafeName("package", out.name));
    BOOST_OUTCOME_TRY(ensure, reader.choice("ensure", {"present", "absent"}, "present"));
    out.present = ensure == "present";
    BOOST_OUTCOME_TRY(manager, reader.choice("manager", {"auto", "dpkg", "rpm"}, "auto"));
    out.manager = manager == "dpkg"  ? PackageManager::kDpkg
                  : manager == "rpm" ? PackageManager::kRpm
                                     : PackageManager::kAuto;
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    return out;
}

class PackageResource final : public ResourceType {
public:
    std::string_view name() const override { return "package"; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& backend,
                             const EngineContext& /*context*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(installed, backend.packageInstalled(props.manager, props.name));
        std::string state = installed ? "installed" : "not installed";
        if (installed == props.present) {
            return TestOutcome{true, "package " + props.name + " is " + state};
        }
        return TestOutcome{false, "package " + props.name + " is " + state + ", expected " +
                                      (props.present ? "installed" : "absent")};
    }

    Result<void> set(const nlohmann::json& properties,
                     Backend& backend,
                     const EngineContext& /*context*/,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        if (props.present) {
            return backend.installPackage(props.manager, props.name);
        }
        return backend.removePackage(props.manager, props.name);
    }
};

} // namespace

std::unique_ptr<ResourceType> makePackageResource() {
    return std::make_unique<PackageResource>();
}

} // namespace azcm::gcservice
