#pragma once
// The extension goal state of one machine (docs/protocol.md 3.1) and its ETag. Entries carry the
// package to install when one is published for (publisher, type, typeHandlerVersion), and
// protected settings only encrypted to the machine's settings certificate.
#include "emulator/service_context.hpp"

#include <string>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

// The default constructor cannot throw: json's is noexcept, and the throws the check finds are
// inside its body, which they cannot leave.
// NOLINTNEXTLINE(bugprone-exception-escape): noexcept default constructor, see above
struct ExtensionGoalState {
    nlohmann::json body; // {"extensions": [...]}
    // Quoted strong ETag over everything but the protectedSettings ciphertext (which is new on
    // every encryption; protected settings change only with a PUT/PATCH, which bumps
    // sequenceNumber, so they are covered anyway).
    std::string etag;
};

Result<ExtensionGoalState> composeGoalState(const ServiceContext& context,
                                            const MachineRecord& machine);

// The waiters' key of a machine: its resource id (GoalStateWaiters compares without case).
std::string goalStateKey(const std::string& subscription_id,
                         const std::string& resource_group,
                         const std::string& machine);

// Wakes the machine's parked goal state long-polls (no-op without long-polling).
void goalStateChanged(const ServiceContext& context,
                      const std::string& subscription_id,
                      const std::string& resource_group,
                      const std::string& machine);

} // namespace azcm::emulator
