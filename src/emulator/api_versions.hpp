#pragma once
// The api-versions the emulator accepts, per resource provider, as ARM lists them in its errors.
#include <string>
#include <string_view>
#include <vector>

namespace azcm::emulator {

const std::vector<std::string>& hybridComputeApiVersions();
const std::vector<std::string>& resourcesApiVersions();
bool isSupportedApiVersion(const std::vector<std::string>& versions, std::string_view version);
// "a, b, c" as in ARM's messages.
std::string joinApiVersions(const std::vector<std::string>& versions);

// True when the api-version `version` is `since` or a later one. ARM accepts and shows a property
// only from the api-version that brought it; a preview counts by its date.
bool apiVersionAtLeast(std::string_view version, std::string_view since);
// properties.agentUpgrade of Microsoft.HybridCompute/machines came with this api-version.
inline constexpr std::string_view kAgentUpgradeApiVersion = "2022-12-27";

} // namespace azcm::emulator
