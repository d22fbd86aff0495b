#pragma once
// Machine authentication for the agent-facing services: mutual TLS with the machine's current
// certificate (issued by the emulator CA, valid now, and the one recorded for the machine).
#include "http/http_types.hpp"
#include "service_context.hpp"

#include <optional>

namespace azcm::emulator {

struct MachineByCertificate {
    std::optional<MachineRecord> machine;
    std::optional<http::Response> failure; // 401 or 404 with the error shape, when no machine
};

MachineByCertificate machineForPeer(const ServiceContext& context,
                                    const http::Request& request,
                                    const http::PeerInfo& peer);

} // namespace azcm::emulator
