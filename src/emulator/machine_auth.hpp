#pragma once
// Machine authentication for the agent-facing services (extension goal state, reports, package
// downloads, settings certificate; guest configuration routes use the same). Two ways in:
//   * mutual TLS with the machine's current certificate (issued by the emulator CA, valid now,
//     and the one recorded for the machine) — machineForPeer;
//   * `Authorization: Bearer <token>` with a managed identity token this emulator issued for the
//     machine (POST /his/machines/token): RS256 with the emulator's signing key, not expired,
//     issuer of the emulator's tenant, audience kAgentServiceAudience, xms_mirid naming an
//     existing machine whose system-assigned identity is the token's oid — machineForAgent.
// The agent's services hold no machine key; himds hands them such short-lived tokens instead.
#include "common/http/http_types.hpp"
#include "emulator/service_context.hpp"

#include <optional>
#include <string_view>

namespace azcm::emulator {

// The resource agent services request tokens for (`"resource"` of POST /his/machines/token);
// "https://his.arc.azure.com/" (trailing slash) is accepted as well.
inline constexpr std::string_view kAgentServiceAudience = "https://his.arc.azure.com";

struct MachineByCertificate {
    std::optional<MachineRecord> machine;
    std::optional<http::Response> failure; // 401 or 404 with the error shape, when no machine
};

// Mutual TLS only.
MachineByCertificate machineForPeer(const ServiceContext& context,
                                    const http::Request& request,
                                    const http::PeerInfo& peer);

// The machine behind an agent request: the bearer token when an Authorization header is present
// (a bad token is a 401 even when a client certificate is presented too), otherwise mutual TLS.
MachineByCertificate machineForAgent(const ServiceContext& context,
                                     const http::Request& request,
                                     const http::PeerInfo& peer);

} // namespace azcm::emulator
