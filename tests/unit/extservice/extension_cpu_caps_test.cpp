#include "extservice/admin/extension_cpu_caps.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace azcm::extservice {
namespace {

TEST(ExtensionCpuCap, DocumentedExceptionsRaiseTheAgentCap) {
    EXPECT_EQ(extensionCapPercent("AzureMonitorLinuxAgent", 5, std::nullopt), 60U);
    EXPECT_EQ(extensionCapPercent("azuremonitorlinuxagent", 5, std::nullopt), 60U);
    EXPECT_EQ(extensionCapPercent("MDE.Linux", 5, std::nullopt), 60U);
    EXPECT_EQ(extensionCapPercent("LinuxOsUpdateExtension", 5, std::nullopt), 60U);
    EXPECT_EQ(extensionCapPercent("OmsAgentForLinux", 5, std::nullopt), 60U);
    EXPECT_EQ(extensionCapPercent("MicrosoftMonitoringAgent", 5, std::nullopt), 60U);
    EXPECT_EQ(extensionCapPercent("AzureMonitorWindowsAgent", 5, std::nullopt), 100U);
    EXPECT_EQ(extensionCapPercent("MicrosoftDnsAgent", 5, std::nullopt), 100U);
}

TEST(ExtensionCpuCap, OtherExtensionsGetTheAgentCap) {
    EXPECT_EQ(extensionCapPercent("CustomScript", 5, std::nullopt), 5U);
    EXPECT_EQ(extensionCapPercent("CustomScript", 30, std::nullopt), 30U);
    EXPECT_FALSE(documentedExtensionCap("CustomScript"));
}

TEST(ExtensionCpuCap, AHigherAgentCapIsNotLoweredByAnException) {
    EXPECT_EQ(extensionCapPercent("AzureMonitorLinuxAgent", 80, std::nullopt), 80U);
}

TEST(ExtensionCpuCap, TheManifestMayOnlyLowerTheCap) {
    EXPECT_EQ(extensionCapPercent("AzureMonitorLinuxAgent", 5, 20U), 20U);
    EXPECT_EQ(extensionCapPercent("CustomScript", 30, 10U), 10U);
    EXPECT_EQ(extensionCapPercent("CustomScript", 5, 50U), 5U);
    EXPECT_EQ(extensionCapPercent("CustomScript", 5, 0U), 5U); // 0 means unset
}

// A limiter over an empty fixture tree: no cgroup hierarchy, so nothing is enforced, but the caps
// are still computed, remembered and reported.
std::unique_ptr<platform::CpuLimiter> unenforcedLimiter(const std::filesystem::path& root) {
    platform::CpuLimiterOptions options;
    options.daemon_name = "extd";
    options.root_prefix = root;
    return std::make_unique<platform::CpuLimiter>(options);
}

TEST(ExtensionCpuCaps, WithoutCgroupsItKeepsWorkingAndSaysWhy) {
    test::TempDir root;
    ExtensionCpuCaps caps(unenforcedLimiter(root.path()), 5);
    ASSERT_TRUE(caps.confineDaemon());
    const auto group = caps.handlerGroup("Microsoft.Azure.Monitor.AzureMonitorLinuxAgent",
                                         "AzureMonitorLinuxAgent", std::nullopt);
    EXPECT_FALSE(group.enforcement().enforced);
    auto status = caps.status();
    ASSERT_EQ(status.size(), 2U);
    EXPECT_EQ(status[0]["component"], "extservice");
    EXPECT_EQ(status[0]["capPercent"], 5);
    EXPECT_EQ(status[0]["enforced"], false);
    EXPECT_FALSE(status[0]["reason"].get<std::string>().empty());
    EXPECT_EQ(status[1]["component"], "extension:Microsoft.Azure.Monitor.AzureMonitorLinuxAgent");
    EXPECT_EQ(status[1]["capPercent"], 60);
    EXPECT_EQ(caps.describe().rfind("not enforced", 0), 0U);
}

TEST(ExtensionCpuCaps, AReloadReappliesEveryCapAndRemovalForgetsTheHandler) {
    test::TempDir root;
    ExtensionCpuCaps caps(unenforcedLimiter(root.path()), 5);
    ASSERT_TRUE(caps.confineDaemon());
    caps.handlerGroup("Contoso.Tools.Hello", "Hello", std::nullopt);
    caps.handlerGroup("Contoso.Tools.Small", "Small", 10U);
    ASSERT_TRUE(caps.setAgentCap(40));
    auto status = caps.status();
    ASSERT_EQ(status.size(), 3U);
    EXPECT_EQ(status[0]["capPercent"], 40);
    EXPECT_EQ(status[1]["component"], "extension:Contoso.Tools.Hello");
    EXPECT_EQ(status[1]["capPercent"], 40);
    EXPECT_EQ(status[2]["capPercent"], 10); // the manifest's lower cap still holds
    caps.removeHandler("Contoso.Tools.Hello");
    EXPECT_EQ(caps.status().size(), 2U);
}

} // namespace
} // namespace azcm::extservice
