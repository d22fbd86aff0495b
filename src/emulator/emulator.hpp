#pragma once
// The emulator's request router: one HTTPS port, routed by path to Entra ID, ARM
// ("/subscriptions"), the hybrid identity service ("/his", with the agent's extension routes below
// "/his/machines/extensions") and the guest configuration agent
// routes ("/gc", guest_configuration_agent_service.hpp). Synchronous and socket-free, so tests
// drive it with constructed requests.
#include "common/http/http_types.hpp"
#include "emulator/arm_service.hpp"
#include "emulator/entra_service.hpp"
#include "emulator/extension_agent_service.hpp"
#include "emulator/goal_state_waiters.hpp"
#include "emulator/guest_configuration_agent_service.hpp"
#include "emulator/identity_service.hpp"
#include "emulator/service_context.hpp"

#include <string>

namespace azcm::emulator {

class Emulator {
public:
    Emulator(Store& store,
             const EmulatorPki& pki,
             WallClock clock,
             EmulatorOptions options,
             std::string base_url);
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;
    Emulator(Emulator&&) = delete;
    Emulator& operator=(Emulator&&) = delete;
    ~Emulator() = default;

    // Known only once the listener has its port.
    void setBaseUrl(std::string base_url) { context_.base_url = std::move(base_url); }
    const std::string& baseUrl() const { return context_.base_url; }

    http::Response handle(const http::Request& request, const http::PeerInfo& peer);
    // The server's entry: like handle(), except that long-polls (GET goal state with
    // If-None-Match and waitSeconds) answer later, on the executor given to enableLongPoll.
    void handleAsync(http::Request&& request, const http::PeerInfo& peer, http::Respond respond);
    // Lets requests park on `executor`; publishes by other processes are noticed by polling the
    // database's package revision every `probe_interval` while anyone waits.
    void enableLongPoll(boost::asio::any_io_executor executor,
                        std::chrono::milliseconds probe_interval = std::chrono::milliseconds(200));
    GoalStateWaiters& waiters() { return waiters_; }

private:
    http::Response route(const http::Request& request, const http::PeerInfo& peer);

    GoalStateWaiters waiters_; // before context_, which points at it
    ServiceContext context_;
    EntraService entra_;
    ArmService arm_;
    IdentityService identity_;
    ExtensionAgentService extension_agent_;
    GcAgentService gc_agent_;
};

} // namespace azcm::emulator
