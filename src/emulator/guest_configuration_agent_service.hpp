#pragma once
// The agent's side of guest configuration (docs/protocol.md section 4), below the "/gc" prefix
// (cloud.json endpoints.guestConfiguration):
//   GET  /gc/machines/assignments   the assignments the machine should evaluate (ETag; with
//                                   ?waitSeconds=N and If-None-Match a long-poll, held until
//                                   they change or N seconds pass, as the extension goal state)
//   POST /gc/machines/reports       one compliance report, which updates the ARM resource
// Packages themselves are downloaded from the package store's route (package_store.hpp).
// The machine authenticates as for the extension routes (machine_auth.hpp).
#include "common/http/http_types.hpp"
#include "emulator/guest_configuration_store.hpp"
#include "emulator/service_context.hpp"

#include <chrono>
#include <memory>
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

    // GET /gc/machines/assignments: the one route that may answer later (a long-poll).
    static bool isAssignmentsRequest(const http::Request& request);
    // Answers at once, or parks an unchanged answer on the context's waiters until the machine's
    // assignments change or the requested wait ends. The service must outlive parked requests
    // (the Emulator owns it; GoalStateWaiters::cancelAll drops them at shutdown).
    void
    assignmentsAsync(http::Request&& request, const http::PeerInfo& peer, http::Respond respond);

private:
    http::Response goalState(const http::Request& request, const MachineRecord& machine);
    http::Response report(const http::Request& request, const MachineRecord& machine);

    const ServiceContext& context_;
    GcStore gc_;
};

} // namespace azcm::emulator
