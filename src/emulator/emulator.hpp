#pragma once
// The emulator's request router: one HTTPS port, routed by path to Entra ID, ARM
// ("/subscriptions"), the hybrid identity service ("/his", with the agent's extension routes below
// "/his/machines/extensions") and the reserved guest configuration
// base ("/gc"). Synchronous and socket-free, so tests drive it with constructed requests.
#include "arm_service.hpp"
#include "entra_service.hpp"
#include "extension_agent_service.hpp"
#include "http/http_types.hpp"
#include "identity_service.hpp"
#include "service_context.hpp"

#include <string>

namespace azcm::emulator {

class Emulator {
public:
    Emulator(Store& store,
             const EmulatorPki& pki,
             const Clock& clock,
             EmulatorOptions options,
             std::string base_url);
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;
    Emulator(Emulator&&) = delete;
    Emulator& operator=(Emulator&&) = delete;

    // Known only once the listener has its port.
    void setBaseUrl(std::string base_url) { context_.base_url = std::move(base_url); }
    const std::string& baseUrl() const { return context_.base_url; }

    http::Response handle(const http::Request& request, const http::PeerInfo& peer);

private:
    http::Response route(const http::Request& request, const http::PeerInfo& peer);

    ServiceContext context_;
    EntraService entra_;
    ArmService arm_;
    IdentityService identity_;
    ExtensionAgentService extension_agent_;
};

} // namespace azcm::emulator
