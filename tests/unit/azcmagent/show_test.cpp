#include "azcmagent/show.hpp"
#include "common/agent_version.hpp"

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

using nlohmann::json;

ShowInput connectedInput() {
    ShowInput input;
    config::AgentConfig config;
    config.tenant_id = "tenant-1";
    config.subscription_id = "sub-1";
    config.resource_group = "rg-1";
    config.resource_name = "web01";
    config.location = "eastus";
    config.vm_id = "vm-1";
    config.correlation_id = "corr-1";
    config.cloud = config::azurePublicCloud();
    input.agent_config = config;
    input.himds_status = json{{"agentStatus", "Connected"},
                              {"lastHeartbeat", "2026-11-28T13:45:00Z"},
                              {"lastError", {{"code", ""}, {"message", ""}, {"time", ""}}}};
    input.local_config.proxy_url = "http://proxy:3128";
    input.local_config.proxy_bypass = {"Arc", "AAD"};
    input.facts.manufacturer = "QEMU";
    input.facts.model = "Standard PC";
    input.facts.vm_uuid = "uuid-1";
    input.agent_logfile = "/var/opt/azcmagent/log/himds.log";
    return input;
}

TEST(Show, TextHasTheSpecFieldsInOrderAligned) {
    const auto text = formatShowText(buildShowFields(connectedInput()));
    const std::vector<std::string> order{"Resource Name",
                                         "Resource Group Name",
                                         "Resource Namespace",
                                         "Resource Id",
                                         "Subscription ID",
                                         "Tenant ID",
                                         "VM ID",
                                         "Correlation ID",
                                         "VM UUID",
                                         "Location",
                                         "Cloud",
                                         "Agent Version",
                                         "Agent Logfile",
                                         "Agent Status",
                                         "Agent Last Heartbeat",
                                         "Agent Error Code",
                                         "Agent Error Details",
                                         "Agent Error Timestamp",
                                         "Using HTTPS Proxy",
                                         "Proxy Bypass List",
                                         "Cloud Provider",
                                         "Manufacturer",
                                         "Model",
                                         "Identity Endpoint",
                                         "IMDS Endpoint",
                                         "Dependent Service Status",
                                         "Portal Page",
                                         "Agent Auto Upgrade Task Status"};
    const std::string haystack = "\n" + text;
    std::size_t last = 0;
    for (const auto& name : order) {
        auto found = haystack.find("\n" + name + " ");
        if (found == std::string::npos) {
            found = haystack.find("\n" + name + "\n");
        }
        ASSERT_NE(found, std::string::npos) << name << " missing in\n" << text;
        EXPECT_GE(found, last) << name << " out of order in\n" << text;
        last = found;
    }
    EXPECT_NE(text.find("Resource Name                           : web01\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("Resource Namespace                      : Microsoft.HybridCompute\n"),
              std::string::npos);
    EXPECT_NE(text.find("Agent Status                            : Connected\n"),
              std::string::npos);
    EXPECT_NE(text.find("  Agent Service (himds)                 : running\n"), std::string::npos);
    EXPECT_NE(text.find("Proxy Bypass List                       : Arc,AAD\n"), std::string::npos);
    EXPECT_NE(
        text.find(std::string("Agent Version                           : ") + azcm::agentVersion()),
        std::string::npos);
}

TEST(Show, JsonKeys) {
    const auto document = formatShowJson(buildShowFields(connectedInput()));
    EXPECT_EQ(document.at("resourceName"), "web01");
    EXPECT_EQ(document.at("resourceGroup"), "rg-1");
    EXPECT_EQ(document.at("resourceNamespace"), "Microsoft.HybridCompute");
    EXPECT_EQ(document.at("resourceId"),
              "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.HybridCompute/"
              "machines/web01");
    EXPECT_EQ(document.at("subscriptionId"), "sub-1");
    EXPECT_EQ(document.at("tenantId"), "tenant-1");
    EXPECT_EQ(document.at("vmId"), "vm-1");
    EXPECT_EQ(document.at("vmUuid"), "uuid-1");
    EXPECT_EQ(document.at("cloud"), "AzureCloud");
    EXPECT_EQ(document.at("status"), "Connected");
    EXPECT_EQ(document.at("lastHeartbeat"), "2026-11-28T13:45:00Z");
    EXPECT_EQ(document.at("httpsProxy"), "http://proxy:3128");
    EXPECT_EQ(document.at("cloudProvider"), "N/A");
    EXPECT_EQ(document.at("services").at(0).at("serviceName"), "himdsd");
    EXPECT_EQ(document.at("services").at(0).at("status"), "running");
    EXPECT_EQ(document.at("portalPage"),
              "https://portal.azure.com/#@tenant-1/resource/subscriptions/sub-1/resourceGroups/"
              "rg-1/providers/Microsoft.HybridCompute/machines/web01");
    for (const char* key :
         {"correlationId", "location", "agentVersion", "agentLogfile", "agentErrorCode",
          "agentErrorDetails", "agentErrorTimestamp", "proxyBypassList", "manufacturer", "model"}) {
        EXPECT_TRUE(document.contains(key)) << key;
    }
}

// Whether the machine carries out Azure's automatic upgrades, what Azure asks, and how the last
// attempt went (himds's status), with the local key first.
TEST(Show, AutoUpgradeTaskStatusAndLastAttempt) {
    auto input = connectedInput();
    const auto shown = [&](const char* key) {
        return formatShowJson(buildShowFields(input)).at(key).get<std::string>();
    };
    EXPECT_EQ(shown("autoUpgradeTaskStatus"), "enabled on this machine; not requested by Azure");
    EXPECT_EQ(shown("lastUpgradeAttempt"), "");
    (*input.himds_status)["agentUpgrade"] = {{"enableAutomaticUpgrade", true},
                                             {"desiredVersion", "1.0.2000.0"},
                                             {"correlationId", "c-9"},
                                             {"lastAttempt",
                                              {{"status", "Failed"},
                                               {"desiredVersion", "1.0.2000.0"},
                                               {"timestamp", "2026-12-07T17:00:00Z"},
                                               {"message", "health check failed"}}}};
    EXPECT_EQ(shown("autoUpgradeTaskStatus"), "enabled, desired version 1.0.2000.0, id: c-9");
    EXPECT_EQ(shown("lastUpgradeAttempt"),
              "Failed 1.0.2000.0 at 2026-12-07T17:00:00Z: health check failed");
    input.local_config.automatic_upgrade_enabled = false;
    EXPECT_EQ(shown("autoUpgradeTaskStatus"),
              "disabled on this machine (agentupgrade.automatic.enabled)");
}

// The Dependent Service Status block: the four services in its order, each from its own daemon.
TEST(Show, DependentServicesInTheSpecOrderEachFromItsDaemon) {
    auto input = connectedInput();
    input.arcproxy_status = json::object();
    input.extservice_status.reset();
    input.gcservice_status = json::object();
    const auto services = formatShowJson(buildShowFields(input)).at("services");
    ASSERT_EQ(services.size(), 4U);
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"Agent Service (himds)", "running"},
        {"Azure Arc Proxy (arcproxy)", "running"},
        {"Extension Service (extensionservice)", "stopped"},
        {"GC Service (gcarcservice)", "running"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(services.at(i).at("displayName"), expected[i].first);
        EXPECT_EQ(services.at(i).at("status"), expected[i].second);
    }
    EXPECT_EQ(services.at(1).at("serviceName"), "arcproxyd");
    // A daemon that refused this user its status (an empty object) runs, but shows no cap.
    input.extservice_status = json::object();
    const auto rows = cpuLimitRows(input);
    bool explained = false;
    for (const auto& row : rows) {
        explained = explained || (row.at("displayName") == "extservice" &&
                                  row.at("status").get<std::string>().find(
                                      "for root and group himds") != std::string::npos);
    }
    EXPECT_TRUE(explained) << rows.dump(2);
}

TEST(Show, HimdsDownShowsStoppedAndExpiredPassesThrough) {
    auto input = connectedInput();
    input.himds_status.reset();
    auto document = formatShowJson(buildShowFields(input));
    EXPECT_EQ(document.at("services").at(0).at("status"), "stopped");
    EXPECT_EQ(document.at("status"), "Disconnected");

    input = connectedInput();
    input.himds_status = json{{"agentStatus", "Expired"}};
    document = formatShowJson(buildShowFields(input));
    EXPECT_EQ(document.at("status"), "Expired");
}

TEST(Show, NotConnectedIsDisconnectedWithEmptyIdentity) {
    ShowInput input;
    input.himds_status = json{{"agentStatus", "Connected"}}; // ignored without agentconfig
    const auto document = formatShowJson(buildShowFields(input));
    EXPECT_EQ(document.at("status"), "Disconnected");
    EXPECT_EQ(document.at("resourceName"), "");
    EXPECT_EQ(document.at("portalPage"), "");
}

TEST(Show, PropertySelectionByKeyOrDisplayNameInOrderAsked) {
    const auto fields = buildShowFields(connectedInput());
    auto selected = selectShowFields(fields, {"LASTHEARTBEAT", "Agent Status"});
    ASSERT_TRUE(selected);
    ASSERT_EQ(selected.value().size(), 2u);
    EXPECT_EQ(selected.value()[0].key, "lastHeartbeat");
    EXPECT_EQ(selected.value()[1].key, "status");
    const auto document = formatShowJson(selected.value());
    EXPECT_EQ(document.size(), 2u);
    EXPECT_EQ(formatShowText(selected.value()),
              "Agent Last Heartbeat                    : 2026-11-28T13:45:00Z\n"
              "Agent Status                            : Connected\n");
}

TEST(Show, UnknownPropertyIs23) {
    auto selected = selectShowFields(buildShowFields(connectedInput()), {"nonsense"});
    ASSERT_FALSE(selected);
    EXPECT_EQ(selected.error().code, exitcode::kInvalidArgument);
    EXPECT_NE(selected.error().message.find("lastHeartbeat"), std::string::npos);
}

TEST(Show, OsFieldsOnlyWithOsFlag) {
    auto input = connectedInput();
    input.facts.os_name = "debian";
    EXPECT_FALSE(formatShowJson(buildShowFields(input)).contains("osName"));
    input.include_os = true;
    EXPECT_EQ(formatShowJson(buildShowFields(input)).at("osName"), "debian");
}

TEST(Show, CloudProviderFromDmi) {
    platform::MachineFacts facts;
    facts.manufacturer = "Amazon EC2";
    EXPECT_EQ(cloudProviderOf(facts), "AWS");
    facts.manufacturer = "Google";
    EXPECT_EQ(cloudProviderOf(facts), "GCP");
    facts.manufacturer = "Dell Inc.";
    EXPECT_EQ(cloudProviderOf(facts), "N/A");
}

TEST(Show, EndpointsAreTheDocumentedValues) {
    auto input = connectedInput();
    input.himds_status = nlohmann::json{{"agentStatus", "Connected"}};
    const auto fields = buildShowFields(input);
    const auto shown = formatShowJson(fields);
    EXPECT_EQ(shown["identityEndpoint"], "http://localhost:40342/metadata/identity/oauth2/token");
    EXPECT_EQ(shown["imdsEndpoint"], "http://localhost:40342");
}

TEST(Show, EndpointsFollowThePortHimdsReports) {
    auto input = connectedInput();
    input.himds_status = nlohmann::json{{"imds", {{"port", 41000}}}};
    const auto shown = formatShowJson(buildShowFields(input));
    EXPECT_EQ(shown["identityEndpoint"], "http://localhost:41000/metadata/identity/oauth2/token");
    EXPECT_EQ(shown["imdsEndpoint"], "http://localhost:41000");
    // A nonsensical report falls back to the documented port.
    input.himds_status = nlohmann::json{{"imds", {{"port", -3}}}};
    EXPECT_EQ(formatShowJson(buildShowFields(input))["imdsEndpoint"], "http://localhost:40342");
}

} // namespace
} // namespace azcm::azcmagent

namespace azcm::azcmagent {
namespace {

TEST(ShowCpuLimits, EnforcedNotEnforcedAndStoppedDaemons) {
    auto input = connectedInput();
    input.extservice_status =
        nlohmann::json{{"cpu",
                        {{{"component", "extservice"},
                          {"capPercent", 5},
                          {"enforced", true},
                          {"cgroup", "/azcmagent/extd/self"},
                          {"window",
                           {{"seconds", 60.2},
                            {"usedPercent", 1.234},
                            {"throttledMs", 12},
                            {"throttledPeriods", 3}}}},
                         {{"component", "extension:Microsoft.Azure.Monitor.AzureMonitorLinuxAgent"},
                          {"capPercent", 60},
                          {"enforced", false},
                          {"reason", "cgroup tree not writable"},
                          {"window", nullptr}}}}};
    input.gcservice_status.reset();

    const auto fields = buildShowFields(input);
    const auto text = formatShowText(fields);
    EXPECT_NE(text.find("CPU Limits\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  extservice                            : 5% enforced, used 1.23% over "
                        "60 s, throttled 12 ms\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find(": 60% not enforced: cgroup tree not writable\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("  gcservice                             : not reported (gcservice is "
                        "not running)\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("  Extension Service (extensionservice)  : running\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("  GC Service (gcarcservice)             : stopped\n"), std::string::npos)
        << text;

    const auto document = formatShowJson(fields);
    const auto& rows = document.at("cpuLimits");
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows.at(0).at("configKey"), "extensions.agent.cpulimit");
    EXPECT_EQ(rows.at(0).at("detail").at("window").at("throttledMs"), 12);
    EXPECT_EQ(rows.at(2).at("configKey"), "guestconfiguration.agent.cpulimit");
}

TEST(ShowCpuLimits, AWindowNotYetMeasuredSaysSo) {
    auto input = connectedInput();
    input.gcservice_status = nlohmann::json{
        {"cpu", {{{"component", "gcservice"}, {"capPercent", 5}, {"enforced", true}}}}};
    const auto text = formatShowText(buildShowFields(input));
    EXPECT_NE(text.find("  gcservice                             : 5% enforced, no usage "
                        "measured yet\n"),
              std::string::npos)
        << text;
}

TEST(ShowCpuLimits, AStatusOfTheWrongShapeIsReportedNotThrown) {
    // The status comes from another process over a socket.
    auto input = connectedInput();
    input.extservice_status =
        nlohmann::json{{"cpu",
                        {{{"component", 5}, {"capPercent", 1e300}, {"enforced", true}},
                         {{"component", "extservice"}, {"enforced", "yes"}},
                         {{"component", "x"},
                          {"capPercent", 5},
                          {"enforced", true},
                          {"window", {{"seconds", "60"}}}},
                         {{"component", "y"},
                          {"capPercent", 5},
                          {"enforced", true},
                          {"window", {{"seconds", 1e300}, {"throttledMs", -1e300}}}}}}};
    const auto text = formatShowText(buildShowFields(input));
    EXPECT_NE(text.find("malformed status: the CPU status: field 'capPercent'"), std::string::npos)
        << text;
    EXPECT_NE(text.find("malformed status: the CPU status: field 'enforced'"), std::string::npos)
        << text;
    EXPECT_NE(text.find("malformed status: the CPU status: field 'seconds'"), std::string::npos)
        << text;
    EXPECT_NE(text.find("5% enforced, used 0.00% over"), std::string::npos) << text;
}

} // namespace
} // namespace azcm::azcmagent
