#pragma once
// The endpoints of a cloud: built in for AzureCloud, or read from a `cloud.json` such as the one
// arc-emulator writes (docs/emulator.md has the schema).
#include "common/error.hpp"

#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace azcm::config {

struct CloudEndpoints {
    std::string entra;               // authority host, no path
    std::string arm;                 // resource manager base URL
    std::string identity;            // hybrid identity service base URL
    std::string guest_configuration; // guest configuration / extension service base URL
};

struct CloudConfig {
    std::string name = "AzureCloud";
    std::string tenant_id;       // default tenant, may be empty
    std::string subscription_id; // default subscription, may be empty
    std::string ca_cert_path;    // extra trust anchor (absolute), empty = system store
    // Trust anchor of extension package signatures (absolute PEM path; cloud.json
    // packageSigningRootPath). Empty: the built-in Azure root is not shipped, so packages fail
    // closed.
    std::string package_signing_root_path;
    CloudEndpoints endpoints;
};

CloudConfig azurePublicCloud();
Result<CloudConfig> parseCloudConfig(const nlohmann::json& json);
Result<CloudConfig> loadCloudConfig(const std::filesystem::path& path); // exit 75 on failure
nlohmann::json toJson(const CloudConfig& cloud);

} // namespace azcm::config
