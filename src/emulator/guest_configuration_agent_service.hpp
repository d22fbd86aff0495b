#pragma once
// The agent's side of guest configuration (docs/protocol.md section 4), below the "/gc" prefix
// (cloud.json endpoints.guestConfiguration):
//   GET  /gc/machines/assignments   the assignments the machine should evaluate (ETag)
//   POST /gc/machines/reports       one compliance report, which updates the ARM resource
// Packages themselves are downloaded from the package store's route (package_store.hpp).
// The machine authenticates as for the extension routes (machine_auth.hpp).
#include "guest_configuration_store.hpp"
#include "http/http_types.hpp"
#include "service_context.hpp"

#include <string>
#include <vector>

namespace azcm::emulator {

class GcAgentService {
public:
    explicit GcAgentService(const ServiceContext& context)
        : context_(context), gc_(context.store) {}

    // `segments` follow the "gc" prefix.
    http::Response handle(const http::Request& request,
                          const http::PeerInfo& peer,
                          const std::vector<std::string>& segments);

private:
    http::Response goalState(const http::Request& request, const MachineRecord& machine);
    http::Response report(const http::Request& request, const MachineRecord& machine);

    const ServiceContext& context_;
    GcStore gc_;
};

} // namespace azcm::emulator
