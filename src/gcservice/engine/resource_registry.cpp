#include "gcservice/engine/resource_type.hpp"

#include <algorithm>

namespace azcm::gcservice {

namespace {

std::vector<std::unique_ptr<ResourceType>> buildRegistry() {
    std::vector<std::unique_ptr<ResourceType>> types;
    types.push_back(makeFileResource());
    types.push_back(makeDirectoryResource());
    types.push_back(makeFilePermissionsResource());
    types.push_back(makeSystemdServiceResource());
    types.push_back(makePackageResource());
    types.push_back(makeSysctlResource());
    types.push_back(makeSshdSettingResource());
    types.push_back(makeLocalUserResource());
    types.push_back(makeLocalGroupResource());
    types.push_back(makeCommandResource());
    types.push_back(makeAzcmagentSettingResource());
    types.push_back(makeAgentSupportResource());
    return types;
}

// Immutable after first use; the types themselves are stateless.
const std::vector<std::unique_ptr<ResourceType>>& registry() {
    static const auto kTypes = buildRegistry();
    return kTypes;
}

} // namespace

const ResourceType* findResourceType(std::string_view name) {
    for (const auto& type : registry()) {
        if (type->name() == name) {
            return type.get();
        }
    }
    return nullptr;
}

std::vector<std::string> resourceTypeNames() {
    std::vector<std::string> names;
    for (const auto& type : registry()) {
        names.emplace_back(type->name());
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace azcm::gcservice
