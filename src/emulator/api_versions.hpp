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

} // namespace azcm::emulator
