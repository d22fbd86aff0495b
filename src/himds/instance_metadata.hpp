#pragma once
// The body of GET /metadata/instance (docs/imds.md): the identity from agentconfig.json, the
// metadata the last heartbeat synced (vmId, location, tags) and local machine facts. Built from
// local state only, so it answers while the control plane is unreachable.
#include "common/config/agent_config.hpp"
#include "common/platform/machine_facts.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::himds {

// What the control plane last said about the resource (heartbeat answers).
struct SyncedMetadata {
    std::string vm_id;
    std::string resource_id;
    std::string location;
    std::map<std::string, std::string> tags;
};

struct SecurityFacts {
    bool secure_boot = false;
    bool tpm_present = false;
};

// Secure Boot from the EFI variable, a TPM from /dev/tpm0 or /sys/class/tpm; `root` relocates the
// files for tests.
SecurityFacts collectSecurityFacts(const std::filesystem::path& root = "/");

// "AzurePublicCloud" for AzureCloud, as Azure's IMDS names the environments.
std::string azEnvironmentName(std::string_view cloud_name);

nlohmann::json instanceMetadata(const config::AgentConfig& agent,
                                const SyncedMetadata& synced,
                                const platform::MachineFacts& facts,
                                const SecurityFacts& security);

// The node at `subpath` ("compute/name"), or empty when there is none. Array elements are
// addressed by index ("compute/tagsList/0/name").
std::optional<nlohmann::json> metadataNode(const nlohmann::json& metadata,
                                           std::string_view subpath);

// format=text: a leaf's value as is, an object's or array's child names one per line.
std::string metadataText(const nlohmann::json& node);

} // namespace azcm::himds
