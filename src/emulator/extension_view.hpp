#pragma once
// How machine extensions and their asynchronous operations look through ARM: the public
// Microsoft.HybridCompute/machines/extensions shape (protectedSettings never shown) and the
// Azure-AsyncOperation status shape.
#include "emulator/store.hpp"

#include <string>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

std::string extensionMachineId(const ExtensionRecord& extension);
std::string extensionId(const ExtensionRecord& extension);
nlohmann::json extensionJson(const ExtensionRecord& extension);

// "/subscriptions/S/providers/Microsoft.HybridCompute/locations/L/operationStatus/ID".
std::string operationStatusPath(const ExtensionOperation& operation);
// The same under ".../operationResults/ID" (the Location header).
std::string operationResultPath(const ExtensionOperation& operation);
// {"id", "name", "status", "startTime"[, "endTime"][, "error": {"code", "message"}]}.
nlohmann::json operationStatusJson(const ExtensionOperation& operation);

bool isTerminalProvisioningState(const std::string& state);

} // namespace azcm::emulator
