#pragma once
// The agent's side of machine extensions (docs/protocol.md section "Machine extensions"): the goal
// state the machine should converge to, and the reports that complete the ARM operations. The
// machine authenticates with mutual TLS and its current certificate, as for heartbeats.
#include "http/http_types.hpp"
#include "service_context.hpp"

#include <string>
#include <vector>

namespace azcm::emulator {

class ExtensionAgentService {
public:
    explicit ExtensionAgentService(const ServiceContext& context) : context_(context) {}

    // True for ".../machines/extensions/..." below the identity service prefix.
    static bool handles(const std::vector<std::string>& segments);
    // `segments` follow the "his" prefix.
    http::Response handle(const http::Request& request,
                          const http::PeerInfo& peer,
                          const std::vector<std::string>& segments);

private:
    http::Response goalState(const http::Request& request, const MachineRecord& machine);
    http::Response report(const http::Request& request, const MachineRecord& machine);

    const ServiceContext& context_;
};

} // namespace azcm::emulator
