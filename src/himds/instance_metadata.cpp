#include "himds/instance_metadata.hpp"

#include "common/fs/atomic_file.hpp"

#include <charconv>
#include <system_error>

namespace azcm::himds {

namespace {

using nlohmann::json;

constexpr std::string_view kSecureBootVariable =
    "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

std::string boolText(bool value) {
    return value ? "true" : "false";
}

} // namespace

SecurityFacts collectSecurityFacts(const std::filesystem::path& root) {
    SecurityFacts facts;
    // efivarfs: four attribute bytes, then the value (1 = enabled).
    if (auto variable = fs::readFile(root / kSecureBootVariable, 64);
        variable && variable.value().size() >= 5) {
        facts.secure_boot = variable.value()[4] == 1;
    }
    std::error_code ec;
    facts.tpm_present = std::filesystem::exists(root / "dev/tpm0", ec) ||
                        std::filesystem::exists(root / "sys/class/tpm/tpm0", ec);
    return facts;
}

std::string azEnvironmentName(std::string_view cloud_name) {
    if (cloud_name == "AzureCloud" || cloud_name.empty()) {
        return "AzurePublicCloud";
    }
    if (cloud_name == "AzureUSGovernment") {
        return "AzureUSGovernmentCloud";
    }
    if (cloud_name == "AzureChinaCloud") {
        return "AzureChinaCloud";
    }
    return std::string(cloud_name);
}

json instanceMetadata(const config::AgentConfig& agent,
                      const SyncedMetadata& synced,
                      const platform::MachineFacts& facts,
                      const SecurityFacts& security) {
    std::string tags_text;
    json tags_list = json::array();
    for (const auto& [name, value] : synced.tags) {
        if (!tags_text.empty()) {
            tags_text += ';';
        }
        tags_text += name;
        tags_text += ':';
        tags_text += value;
        tags_list.push_back({{"name", name}, {"value", value}});
    }
    const std::string resource_id =
        synced.resource_id.empty() ? agent.resourceId() : synced.resource_id;
    json compute = {
        {"azEnvironment", azEnvironmentName(agent.cloud.name)},
        {"isHostCompatibilityLayerVm", "false"},
        {"location", synced.location.empty() ? agent.location : synced.location},
        {"name", agent.resource_name},
        {"offer", ""},
        {"osType", facts.os_type},
        {"placementGroupId", ""},
        {"plan", {{"name", ""}, {"product", ""}, {"publisher", ""}}},
        {"platformFaultDomain", ""},
        {"platformUpdateDomain", ""},
        {"provider", "Microsoft.HybridCompute"},
        {"publicKeys", nullptr},
        {"publisher", ""},
        {"resourceGroupName", agent.resource_group},
        {"customData", ""},
        {"resourceId", resource_id},
        {"securityProfile",
         {{"secureBootEnabled", boolText(security.secure_boot)},
          {"virtualTpmEnabled", boolText(security.tpm_present)}}},
        {"sku", facts.os_sku},
        {"storageProfile", json::object()},
        {"subscriptionId", agent.subscription_id},
        {"tags", tags_text},
        {"tagsList", tags_list},
        {"version", facts.os_version},
        {"vmId", synced.vm_id.empty() ? agent.vm_id : synced.vm_id},
        {"vmScaleSetName", ""},
        {"vmSize", ""},
        {"zone", ""},
    };
    return json{{"compute", std::move(compute)}, {"network", json::object()}};
}

std::optional<json> metadataNode(const json& metadata, std::string_view subpath) {
    const json* node = &metadata;
    while (!subpath.empty()) {
        const auto slash = subpath.find('/');
        const std::string_view segment = subpath.substr(0, slash);
        subpath = slash == std::string_view::npos ? std::string_view{} : subpath.substr(slash + 1);
        if (node->is_object()) {
            const auto found = node->find(std::string(segment));
            if (found == node->end()) {
                return std::nullopt;
            }
            node = &*found;
        } else if (node->is_array()) {
            std::size_t index = 0;
            const auto [end, ec] =
                std::from_chars(segment.data(), segment.data() + segment.size(), index);
            if (ec != std::errc{} || end != segment.data() + segment.size() ||
                index >= node->size()) {
                return std::nullopt;
            }
            node = &(*node)[index];
        } else {
            return std::nullopt;
        }
    }
    return *node;
}

std::string metadataText(const json& node) {
    if (node.is_string()) {
        return node.get<std::string>();
    }
    if (node.is_null()) {
        return "";
    }
    if (node.is_object()) {
        std::string text;
        for (const auto& item : node.items()) {
            text += item.key();
            text += (item.value().is_object() || item.value().is_array()) ? "/\n" : "\n";
        }
        return text;
    }
    if (node.is_array()) {
        std::string text;
        for (std::size_t i = 0; i < node.size(); ++i) {
            text += std::to_string(i) + "/\n";
        }
        return text;
    }
    return node.dump();
}

} // namespace azcm::himds
