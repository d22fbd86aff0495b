#pragma once
// ARM for Microsoft.GuestConfiguration/guestConfigurationAssignments on a machine
// (".../machines/{m}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/{name}"):
// PUT, GET, DELETE and LIST, synchronous as in Azure. An assignment names a published package
// (name + version); the service fills contentUri and contentHash from the package store. The
// compliance fields are the agent's (GcAgentService). ArmService has authenticated the caller and
// checked the subscription before these run; the api-version is checked here (this provider has
// its own versions).
#include "common/http/http_types.hpp"
#include "emulator/guest_configuration_store.hpp"
#include "emulator/service_context.hpp"
#include "emulator/token_service.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace azcm::emulator {

namespace actions {
inline constexpr std::string_view kGcAssignmentRead =
    "Microsoft.GuestConfiguration/guestConfigurationAssignments/read";
inline constexpr std::string_view kGcAssignmentWrite =
    "Microsoft.GuestConfiguration/guestConfigurationAssignments/write";
inline constexpr std::string_view kGcAssignmentDelete =
    "Microsoft.GuestConfiguration/guestConfigurationAssignments/delete";
} // namespace actions

inline constexpr std::string_view kGcAssignmentType =
    "Microsoft.GuestConfiguration/guestConfigurationAssignments";

const std::vector<std::string>& guestConfigurationApiVersions();

struct GcAssignmentCall {
    const http::Request& request;
    const Caller& caller;
    const std::vector<RoleAssignment>& assignments;
    std::string subscription_id; // canonical
    std::string resource_group;  // as in the URL
    std::string machine;         // as in the URL
    std::string name;            // empty for the list
    std::string api_version;     // may be empty or unsupported: checked here
};

class GcAssignmentArm {
public:
    explicit GcAssignmentArm(const ServiceContext& context)
        : context_(context), gc_(context.store) {}

    http::Response handle(const GcAssignmentCall& call);

private:
    http::Response list(const GcAssignmentCall& call, const MachineRecord& machine);
    http::Response put(const GcAssignmentCall& call, const MachineRecord& machine);

    const ServiceContext& context_;
    GcStore gc_;
};

// The ARM id and JSON shape of an assignment.
std::string gcAssignmentId(const GcAssignmentRecord& assignment);
nlohmann::json gcAssignmentJson(const GcAssignmentRecord& assignment);

} // namespace azcm::emulator
