#include "arcproxy/allow_list.hpp"
#include "arcproxy/allow_list_source.hpp"
#include "common/config/agent_config.hpp"
#include "common/config/extension_destinations.hpp"
#include "common/fs/atomic_file.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::arcproxy {
namespace {

bool allows(const AllowList& list, const char* host, std::uint16_t port) {
    auto destination = makeDestination(host, port);
    EXPECT_TRUE(destination) << host;
    return destination && list.allows(destination.value());
}

TEST(AllowList, ExactNamesWildcardsAndPorts) {
    AllowList list;
    list.add(parseAllowedDestination("management.azure.com:443").value());
    list.add(parseAllowedDestination("*.blob.core.windows.net:443").value());
    list.add(parseAllowedDestination("[2603:1030::1]:443").value());
    list.add(parseAllowedDestination("management.azure.com:443").value()); // once only
    EXPECT_EQ(list.entries().size(), 3U);

    EXPECT_TRUE(allows(list, "management.azure.com", 443));
    EXPECT_TRUE(allows(list, "Management.Azure.Com.", 443));
    EXPECT_FALSE(allows(list, "management.azure.com", 80)) << "the port is part of the entry";
    EXPECT_FALSE(allows(list, "xmanagement.azure.com", 443));
    EXPECT_FALSE(allows(list, "management.azure.com.evil.example", 443));

    EXPECT_TRUE(allows(list, "account1.blob.core.windows.net", 443));
    EXPECT_TRUE(allows(list, "a.b.blob.core.windows.net", 443));
    EXPECT_FALSE(allows(list, "blob.core.windows.net", 443)) << "a wildcard needs a label more";
    EXPECT_FALSE(allows(list, "evilblob.core.windows.net", 443));

    EXPECT_TRUE(allows(list, "2603:1030:0::1", 443));
    EXPECT_FALSE(allows(list, "2603:1030::2", 443));
}

TEST(AllowList, MalformedEntriesAreRefused) {
    for (const char* bad : {"", "host", "*.com:443", "*.:443", "*.1.2.3.4:443", "**.x.com:443",
                            "host:0", "*.x.com", "x.*.com:443", "[::1]", "exa mple.com:443"}) {
        EXPECT_FALSE(parseAllowedDestination(bad)) << bad;
    }
    auto entry = parseAllowedDestination("*.His.Arc.Azure.Com:443");
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry.value().text(), "*.his.arc.azure.com:443");
}

TEST(AllowList, PublicCloudHasTheAgentsEndpointsAndNothingLocal) {
    const auto list = agentEndpoints(config::azurePublicCloud());
    for (const char* endpoint :
         {"login.microsoftonline.com", "management.azure.com", "gbl.his.arc.azure.com",
          "westeurope.his.arc.azure.com", "agentserviceapi.guestconfiguration.azure.com",
          "westeurope-gas.guestconfiguration.azure.com", "pas.windows.net",
          "westeurope.login.microsoft.com", "guestnotificationservice.azure.com",
          "azgn1.servicebus.windows.net", "myaccount.blob.core.windows.net",
          "packages.microsoft.com", "download.microsoft.com"}) {
        EXPECT_TRUE(allows(list, endpoint, 443)) << endpoint;
    }
    EXPECT_TRUE(allows(list, "www.microsoft.com", 80));
    for (const char* other : {"localhost", "metadata.google.internal", "example.com",
                              "169.254.169.254", "127.0.0.1", "microsoft.com"}) {
        EXPECT_FALSE(allows(list, other, 443)) << other;
        EXPECT_FALSE(allows(list, other, 80)) << other;
    }
    EXPECT_FALSE(allows(list, "management.azure.com", 80));
}

TEST(AllowList, CustomCloudHasItsFourEndpointsOnly) {
    config::CloudConfig cloud;
    cloud.name = "ArcEmulator";
    cloud.endpoints.entra = "https://127.0.0.1:8443";
    cloud.endpoints.arm = "https://127.0.0.1:8443";
    cloud.endpoints.identity = "https://his.arc.test/his";
    cloud.endpoints.guest_configuration = "https://[::1]:9443/gc";
    const auto list = agentEndpoints(cloud);
    EXPECT_EQ(list.entries().size(), 3U);
    EXPECT_TRUE(allows(list, "127.0.0.1", 8443));
    EXPECT_TRUE(allows(list, "his.arc.test", 443));
    EXPECT_TRUE(allows(list, "::1", 9443));
    EXPECT_FALSE(allows(list, "127.0.0.1", 443));
    EXPECT_FALSE(allows(list, "login.microsoftonline.com", 443));
}

// The allow-list follows agentconfig.json and the file extservice publishes, without a reload.
class AllowListSourceTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(fs::ensureDirectory(paths.agentDataDir(), {0755, {}})); }
    void connectTo(const std::string& base_url) const {
        config::AgentConfig agent;
        agent.tenant_id = "t";
        agent.subscription_id = "s";
        agent.resource_group = "rg";
        agent.resource_name = "m";
        agent.location = "westeurope";
        agent.cloud.name = "Custom";
        agent.cloud.endpoints = {base_url, base_url, base_url + "/his", base_url + "/gc"};
        ASSERT_TRUE(config::saveAgentConfig(paths.agentConfig(), agent));
    }
    bool allows(AllowListSource& source, const char* host, std::uint16_t port) {
        return arcproxy::allows(*source.current(), host, port);
    }

    test::TempDir root;
    Paths paths{root.path()};
};

TEST_F(AllowListSourceTest, PublicCloudUntilConnectedThenTheCloudOfAgentconfig) {
    AllowListSource source(paths);
    EXPECT_TRUE(allows(source, "management.azure.com", 443));
    EXPECT_FALSE(allows(source, "arc.example.test", 443));
    connectTo("https://arc.example.test");
    EXPECT_TRUE(allows(source, "arc.example.test", 443));
    EXPECT_FALSE(allows(source, "management.azure.com", 443));
    EXPECT_EQ(source.lastError(), "");
}

TEST_F(AllowListSourceTest, ABrokenAgentconfigKeepsTheLastGoodList) {
    AllowListSource source(paths);
    connectTo("https://arc.example.test");
    EXPECT_TRUE(allows(source, "arc.example.test", 443));
    ASSERT_TRUE(fs::writeFileAtomic(paths.agentConfig(), "{ not json", {0644, {}}));
    EXPECT_TRUE(allows(source, "arc.example.test", 443));
    EXPECT_NE(source.lastError().find("agentconfig.json"), std::string::npos) << source.lastError();
}

TEST_F(AllowListSourceTest, ExtensionDestinationsAreAddedAndRemovedAsPublished) {
    AllowListSource source(paths);
    EXPECT_FALSE(allows(source, "packages.contoso.test", 443));
    ASSERT_TRUE(config::publishExtensionDestinations(
        paths.extensionDestinations(),
        config::destinationsOfUrls({"https://packages.contoso.test/a/1.0.0",
                                    "https://packages.contoso.test/b/2.0.0?sig=x",
                                    "https://[2603:1030::5]:8443/c"})));
    EXPECT_TRUE(allows(source, "packages.contoso.test", 443));
    EXPECT_TRUE(allows(source, "2603:1030::5", 8443));
    EXPECT_FALSE(allows(source, "packages.contoso.test", 80));
    EXPECT_TRUE(allows(source, "management.azure.com", 443)) << "the agent's endpoints stay";

    ASSERT_TRUE(config::publishExtensionDestinations(paths.extensionDestinations(), {}));
    EXPECT_FALSE(allows(source, "packages.contoso.test", 443));
}

TEST_F(AllowListSourceTest, WildcardsAndMalformedEntriesFromTheFileAreLeftOut) {
    AllowListSource source(paths);
    const nlohmann::json hostile = {
        {"destinations", {"*.example.com:443", "ok.contoso.test:443", "no port", 7}}};
    ASSERT_TRUE(fs::writeFileAtomic(paths.extensionDestinations(), hostile.dump(), {0644, {}}));
    // A value that is not a string makes the whole file unreadable: nothing from it is used.
    EXPECT_FALSE(allows(source, "ok.contoso.test", 443));
    EXPECT_NE(source.lastError().find("not a string"), std::string::npos) << source.lastError();

    const nlohmann::json mixed = {
        {"destinations", {"*.example.com:443", "ok.contoso.test:443", "no port"}}};
    ASSERT_TRUE(fs::writeFileAtomic(paths.extensionDestinations(), mixed.dump(), {0644, {}}));
    EXPECT_TRUE(allows(source, "ok.contoso.test", 443));
    EXPECT_FALSE(allows(source, "www.example.com", 443));
    EXPECT_NE(source.lastError().find("left out"), std::string::npos) << source.lastError();
}

TEST(ExtensionDestinations, HostPortsOfUrlsSortedOnce) {
    EXPECT_EQ(config::destinationsOfUrls({"https://b.test/x", "https://a.test:8443/y",
                                          "https://b.test/z?q=1", "not a url", "http://c.test/"}),
              (std::vector<std::string>{"a.test:8443", "b.test:443", "c.test:80"}));
}

} // namespace
} // namespace azcm::arcproxy
