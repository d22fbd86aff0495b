#pragma once
// How a stored machine looks through ARM: its derived connection status (docs/protocol.md 2.4)
// and the public Microsoft.HybridCompute/machines JSON shape.
#include "emulator/emulator_clock.hpp"
#include "emulator/store.hpp"

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

struct DerivedStatus {
    std::string status; // Connected | Disconnected | Expired
    std::int64_t since; // when that status began, unix seconds
};

DerivedStatus
deriveStatus(const MachineRecord& machine, SystemTime now, std::chrono::seconds heartbeat_timeout);
// Applies the derived status; true when status and lastStatusChange changed (caller persists).
bool refreshStatus(MachineRecord& machine, SystemTime now, std::chrono::seconds heartbeat_timeout);

std::string resourceGroupId(const std::string& subscription_id, const std::string& name);
std::string machineId(const MachineRecord& machine);
// The machine as ARM shows it at `api_version` (members of later api-versions left out).
nlohmann::json machineJson(const MachineRecord& machine,
                           const std::string& tenant_id,
                           std::string_view api_version);
nlohmann::json resourceGroupJson(const ResourceGroup& group);

// Properties only the service sets; stripped from PUT/PATCH bodies.
bool isReadOnlyMachineProperty(const std::string& key);
// ARM's normal form of a location: lower case without spaces ("East US" -> "eastus").
std::string normalizeLocation(const std::string& location);

} // namespace azcm::emulator
