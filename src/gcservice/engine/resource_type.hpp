#pragma once
// One interface for every resource type. A type validates its properties when the
// package is parsed, tests the machine against them, and, when it can, sets the machine to them.
// A new type is a new file under resources/ plus one line in resource_registry.cpp.
#include "common/error.hpp"
#include "gcservice/engine/backend.hpp"
#include "gcservice/engine/engine.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::gcservice {

struct TestOutcome {
    bool compliant = false;
    std::string reason; // human: what was found, and what was expected when it differs
};

// What set() changed besides the resource itself, for the evaluation result.
struct SetEffects {
    bool local_config_changed = false;
};

class ResourceType {
public:
    ResourceType() = default;
    ResourceType(const ResourceType&) = delete;
    ResourceType& operator=(const ResourceType&) = delete;
    ResourceType(ResourceType&&) = delete;
    ResourceType& operator=(ResourceType&&) = delete;
    virtual ~ResourceType() = default;
    virtual std::string_view name() const = 0;
    // The message says what is wrong; the caller names the resource.
    virtual Result<void> validate(const nlohmann::json& properties) const = 0;
    virtual Result<TestOutcome> test(const nlohmann::json& properties,
                                     Backend& backend,
                                     const EngineContext& context) const = 0;
    // Only called after test() found the resource non-compliant. A type that cannot remediate
    // returns an error with code exitcode::kUnsupported saying what the user must do.
    virtual Result<void> set(const nlohmann::json& properties,
                             Backend& backend,
                             const EngineContext& context,
                             SetEffects& effects) const = 0;
};

// nullptr for an unknown type.
const ResourceType* findResourceType(std::string_view name);
std::vector<std::string> resourceTypeNames();

// Factories, one per file in resources/.
std::unique_ptr<ResourceType> makeFileResource();
std::unique_ptr<ResourceType> makeDirectoryResource();
std::unique_ptr<ResourceType> makeFilePermissionsResource();
std::unique_ptr<ResourceType> makeSystemdServiceResource();
std::unique_ptr<ResourceType> makePackageResource();
std::unique_ptr<ResourceType> makeSysctlResource();
std::unique_ptr<ResourceType> makeSshdSettingResource();
std::unique_ptr<ResourceType> makeLocalUserResource();
std::unique_ptr<ResourceType> makeLocalGroupResource();
std::unique_ptr<ResourceType> makeCommandResource();
std::unique_ptr<ResourceType> makeAzcmagentSettingResource();
std::unique_ptr<ResourceType> makeAgentSupportResource();

} // namespace azcm::gcservice
