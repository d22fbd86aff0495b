#pragma once
// ARM for Microsoft.HybridCompute/machines/{machine}/extensions: PUT, PATCH, GET, DELETE and LIST,
// long-running through Azure-AsyncOperation, and the operation status resources those point to.
// Operations complete when the machine's agent reports (ExtensionAgentService). ArmService has
// authenticated the caller and checked the api-version and subscription before these run.
#include "common/http/http_types.hpp"
#include "emulator/service_context.hpp"
#include "emulator/token_service.hpp"

#include <string>
#include <vector>

namespace azcm::emulator {

struct ExtensionCall {
    const http::Request& request;
    const Caller& caller;
    const std::vector<RoleAssignment>& assignments;
    std::string subscription_id; // canonical
    std::string resource_group;  // as in the URL
    std::string machine;         // as in the URL
    std::string name;            // the extension; empty for the list
    std::string api_version;
};

struct OperationCall {
    const http::Request& request;
    const Caller& caller;
    const std::vector<RoleAssignment>& assignments;
    std::string subscription_id; // canonical
    std::string operation_id;
    bool result = false; // operationResults (Location) rather than operationStatus
};

class ExtensionArm {
public:
    explicit ExtensionArm(const ServiceContext& context) : context_(context) {}

    http::Response list(const ExtensionCall& call);
    http::Response extension(const ExtensionCall& call);
    http::Response operation(const OperationCall& call);

private:
    http::Response put(const ExtensionCall& call, const MachineRecord& machine);
    http::Response patch(const ExtensionCall& call, ExtensionRecord extension);
    http::Response remove(const ExtensionCall& call, ExtensionRecord extension);
    // The 200/201/202 answer of a started operation, with Azure-AsyncOperation and Location.
    http::Response accepted(const ExtensionCall& call,
                            http::Status status,
                            const ExtensionOperation& operation,
                            const ExtensionRecord* body);
    ExtensionOperation newOperation(const ExtensionRecord& extension, std::string kind) const;

    const ServiceContext& context_;
};

} // namespace azcm::emulator
