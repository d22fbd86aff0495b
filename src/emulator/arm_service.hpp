#pragma once
// Azure Resource Manager for resource groups, Microsoft.HybridCompute/machines and their
// extensions (extension_arm.hpp), with bearer
// authentication, api-version checks and role-based access control on every call.
#include "common/http/http_types.hpp"
#include "emulator/extension_arm.hpp"
#include "emulator/service_context.hpp"
#include "emulator/token_service.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace azcm::emulator {

struct MachineRef {
    std::string subscription_id;
    std::string resource_group;
    std::string name;
};
// "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.HybridCompute/machines/{name}".
std::optional<MachineRef> parseMachineId(const std::string& resource_id);

// Resource names ARM accepts for machines: [a-zA-Z0-9-_.]{1,54}, not ending with '-' or '_'.
bool isValidMachineName(const std::string& name);
// Resource group names: [-\w._()]{1,90}, not ending with '.'.
bool isValidResourceGroupName(const std::string& name);

http::Response authorizationFailed(const http::Request& request,
                                   const Caller& caller,
                                   std::string_view action,
                                   std::string_view scope);

class ArmService {
public:
    explicit ArmService(const ServiceContext& context) : context_(context), extensions_(context) {}

    // `segments` start with "subscriptions".
    http::Response handle(const http::Request& request,
                          const std::vector<std::string>& segments,
                          const std::map<std::string, std::string>& query);

private:
    struct Call;
    http::Response listSubscriptions(const Call& call);
    http::Response subscription(const Call& call);
    http::Response listResourceGroups(const Call& call);
    http::Response resourceGroup(const Call& call);
    http::Response listMachines(const Call& call);
    http::Response machine(const Call& call);
    http::Response putMachine(const Call& call);
    http::Response patchMachine(const Call& call, MachineRecord machine);

    const ServiceContext& context_;
    ExtensionArm extensions_;
};

} // namespace azcm::emulator
