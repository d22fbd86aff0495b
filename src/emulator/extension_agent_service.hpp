#pragma once
// The agent's side of machine extensions (docs/protocol.md section 3): the goal state the machine
// should converge to (with an ETag and long-polling), the reports that complete the ARM
// operations, the settings certificate protected settings are encrypted to, and the download of
// signed packages (extension and guest configuration packages alike). The machine authenticates
// with mutual TLS or a managed identity token of its own (machine_auth.hpp).
#include "common/http/http_types.hpp"
#include "emulator/extension_goal_state.hpp"
#include "emulator/goal_state_waiters.hpp"
#include "emulator/service_context.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace azcm::emulator {

class ExtensionAgentService {
public:
    explicit ExtensionAgentService(const ServiceContext& context) : context_(context) {}

    // True for ".../machines/extensions/..." and ".../machines/packages/..." below "/his".
    static bool handles(const std::vector<std::string>& segments);
    // GET /his/machines/extensions/goalstate (the only route that may answer later).
    static bool isGoalStateRequest(const http::Request& request);

    // `segments` follow the "his" prefix. The goal state answers at once here (no parking).
    http::Response handle(const http::Request& request,
                          const http::PeerInfo& peer,
                          const std::vector<std::string>& segments);
    // The goal state with long-polling: with `If-None-Match: <current ETag>` and `?waitSeconds=N`
    // the answer waits until the goal state changes (200) or N seconds pass (304).
    void goalStateAsync(http::Request&& request, const http::PeerInfo& peer, http::Respond respond);

private:
    http::Response goalState(const http::Request& request, const MachineRecord& machine);
    http::Response report(const http::Request& request, const MachineRecord& machine);
    http::Response settingsCertificate(const http::Request& request, const MachineRecord& machine);
    http::Response package(const http::Request& request, const std::vector<std::string>& segments);
    // {"platform", "versions": [{"version", "url", "size", "sha256", "signature"}]}, newest first.
    http::Response agentVersions(const http::Request& request, const std::string& platform);
    // The answer for `state` given the request's If-None-Match: 200 with the body, or 304.
    http::Response answer(const http::Request& request, const ExtensionGoalState& state) const;

    const ServiceContext& context_;
};

} // namespace azcm::emulator
