#include "azcmagent/clouds.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace azcm::azcmagent {

Result<config::CloudConfig> builtinCloud(std::string_view name) {
    std::string lowered(name);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lowered == "azurecloud" || lowered.empty()) {
        return config::azurePublicCloud();
    }
    config::CloudConfig cloud;
    if (lowered == "azureusgovernment") {
        cloud.name = "AzureUSGovernment";
        cloud.endpoints = {"https://login.microsoftonline.us",
                           "https://management.usgovcloudapi.net", "https://gbl.his.arc.azure.us",
                           "https://agentserviceapi.guestconfiguration.azure.us"};
        return cloud;
    }
    if (lowered == "azurechinacloud") {
        cloud.name = "AzureChinaCloud";
        cloud.endpoints = {"https://login.chinacloudapi.cn", "https://management.chinacloudapi.cn",
                           "https://gbl.his.arc.azure.cn",
                           "https://agentserviceapi.guestconfiguration.azure.cn"};
        return cloud;
    }
    return makeError(exitcode::kInvalidArgument,
                     "unknown cloud '" + std::string(name) +
                         "'; use AzureCloud, AzureUSGovernment or AzureChinaCloud, or "
                         "--cloud-config FILE for another cloud");
}

} // namespace azcm::azcmagent
