// The instance metadata document (docs/imds.md) and its sub-path lookups.
#include "common/fs/atomic_file.hpp"
#include "himds/instance_metadata.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace {

using azcm::himds::instanceMetadata;
using azcm::himds::metadataNode;
using azcm::himds::metadataText;
using nlohmann::json;

azcm::config::AgentConfig agent() {
    azcm::config::AgentConfig config;
    config.tenant_id = "t";
    config.subscription_id = "00000000-0000-0000-0000-000000000002";
    config.resource_group = "arc-rg";
    config.resource_name = "web01";
    config.location = "westeurope";
    config.vm_id = "vm-from-config";
    config.tags = {{"env", "prod"}};
    return config;
}

azcm::platform::MachineFacts facts() {
    azcm::platform::MachineFacts machine;
    machine.os_type = "linux";
    machine.os_sku = "Debian GNU/Linux 12 (bookworm)";
    machine.os_version = "12";
    return machine;
}

TEST(InstanceMetadata, HasEveryComputeFieldOfTheSpecAsStrings) {
    azcm::himds::SyncedMetadata synced;
    synced.vm_id = "vm-synced";
    synced.location = "northeurope";
    synced.tags = {{"env", "prod"}, {"owner", "ops"}};
    const auto document = instanceMetadata(agent(), synced, facts(), {true, false});
    const auto& compute = document["compute"];
    for (const char* field : {"azEnvironment",
                              "isHostCompatibilityLayerVm",
                              "location",
                              "name",
                              "offer",
                              "osType",
                              "placementGroupId",
                              "platformFaultDomain",
                              "platformUpdateDomain",
                              "provider",
                              "publisher",
                              "resourceGroupName",
                              "customData",
                              "resourceId",
                              "sku",
                              "subscriptionId",
                              "tags",
                              "version",
                              "vmId",
                              "vmScaleSetName",
                              "vmSize",
                              "zone"}) {
        ASSERT_TRUE(compute.contains(field)) << field;
        EXPECT_TRUE(compute[field].is_string()) << field;
    }
    EXPECT_TRUE(compute["publicKeys"].is_null());
    EXPECT_TRUE(compute["storageProfile"].is_object());
    EXPECT_EQ(compute["plan"], (json{{"name", ""}, {"product", ""}, {"publisher", ""}}));
    EXPECT_EQ(compute["azEnvironment"], "AzurePublicCloud");
    EXPECT_EQ(compute["osType"], "linux");
    EXPECT_EQ(compute["sku"], "Debian GNU/Linux 12 (bookworm)");
    EXPECT_EQ(compute["name"], "web01");
    EXPECT_EQ(compute["resourceGroupName"], "arc-rg");
    EXPECT_EQ(compute["resourceId"],
              "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/arc-rg/"
              "providers/Microsoft.HybridCompute/machines/web01");
    // What the control plane last said wins over what connect wrote.
    EXPECT_EQ(compute["vmId"], "vm-synced");
    EXPECT_EQ(compute["location"], "northeurope");
    EXPECT_EQ(compute["tags"], "env:prod;owner:ops");
    EXPECT_EQ(compute["tagsList"], (json::array({{{"name", "env"}, {"value", "prod"}},
                                                 {{"name", "owner"}, {"value", "ops"}}})));
    EXPECT_EQ(compute["provider"], "Microsoft.HybridCompute");
    EXPECT_EQ(compute["securityProfile"]["secureBootEnabled"], "true");
    EXPECT_EQ(compute["securityProfile"]["virtualTpmEnabled"], "false");
    EXPECT_EQ(document["network"], json::object());
}

TEST(InstanceMetadata, FallsBackToAgentConfigBeforeTheFirstHeartbeat) {
    const auto document = instanceMetadata(agent(), {}, facts(), {});
    EXPECT_EQ(document["compute"]["vmId"], "vm-from-config");
    EXPECT_EQ(document["compute"]["location"], "westeurope");
}

TEST(InstanceMetadata, SubPathsAndText) {
    azcm::himds::SyncedMetadata synced;
    synced.tags = {{"env", "prod"}};
    const auto document = instanceMetadata(agent(), synced, facts(), {});
    EXPECT_EQ(metadataNode(document, "compute/name").value(), "web01");
    EXPECT_EQ(metadataNode(document, "compute/tagsList/0/value").value(), "prod");
    EXPECT_FALSE(metadataNode(document, "compute/tagsList/1"));
    EXPECT_FALSE(metadataNode(document, "compute/tagsList/x"));
    EXPECT_FALSE(metadataNode(document, "compute/nothing"));
    EXPECT_FALSE(metadataNode(document, "compute/name/deeper"));
    EXPECT_EQ(metadataText(metadataNode(document, "compute/name").value()), "web01");
    EXPECT_EQ(metadataText(metadataNode(document, "").value()), "compute/\nnetwork/\n");
    EXPECT_EQ(metadataText(metadataNode(document, "compute/plan").value()),
              "name\nproduct\npublisher\n");
}

TEST(InstanceMetadata, SecurityFactsFromEfiVariableAndTpmNode) {
    azcm::test::TempDir root;
    EXPECT_FALSE(azcm::himds::collectSecurityFacts(root.path()).secure_boot);
    const auto variable = root.path() / "sys/firmware/efi/efivars";
    ASSERT_TRUE(azcm::fs::ensureDirectory(variable));
    ASSERT_TRUE(
        azcm::fs::createExclusive(variable / "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
                                  std::string("\x06\x00\x00\x00\x01", 5)));
    ASSERT_TRUE(azcm::fs::ensureDirectory(root.path() / "sys/class/tpm/tpm0"));
    const auto security = azcm::himds::collectSecurityFacts(root.path());
    EXPECT_TRUE(security.secure_boot);
    EXPECT_TRUE(security.tpm_present);
}

} // namespace
