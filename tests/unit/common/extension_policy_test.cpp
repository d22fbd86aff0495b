// The allow/block precedence of docs/config.md, table-driven.
#include "common/config/extension_policy.hpp"

#include <gtest/gtest.h>

namespace azcm::config {
namespace {

using Op = ExtensionOperation;

struct Case {
    const char* name;
    std::vector<std::string> allowlist;
    std::vector<std::string> blocklist;
    bool enabled;
    std::string mode;
    std::string extension; // Publisher/Type
    Op operation;
    bool allowed;
    const char* reason_part;
};

const std::string kAma = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent";
const std::string kRunCommand = "Microsoft.CPlat.Core/RunCommandHandlerLinux";

const std::vector<Case> kCases = {
    {"no lists: allowed", {}, {}, true, "full", kRunCommand, Op::kInstall, true, "not blocked"},
    {"listed in allowlist",
     {kAma},
     {},
     true,
     "full",
     kAma,
     Op::kInstall,
     true,
     "is in extensions.allowlist"},
    {"allowlist matches any case",
     {"microsoft.azure.monitor/azuremonitorlinuxagent"},
     {},
     true,
     "full",
     kAma,
     Op::kUpdate,
     true,
     "allowlist"},
    {"allowlist set, not listed",
     {kAma},
     {},
     true,
     "full",
     kRunCommand,
     Op::kInstall,
     false,
     "is not in extensions.allowlist"},
    {"allowlist set, not listed, upgrade",
     {kAma},
     {},
     true,
     "full",
     kRunCommand,
     Op::kUpgrade,
     false,
     "not in"},
    {"blocklisted",
     {},
     {kRunCommand},
     true,
     "full",
     kRunCommand,
     Op::kInstall,
     false,
     "is in extensions.blocklist"},
    {"blocklist matches any case",
     {},
     {"MICROSOFT.CPLAT.CORE/RUNCOMMANDHANDLERLINUX"},
     true,
     "full",
     kRunCommand,
     Op::kUpdate,
     false,
     "blocklist"},
    {"blocklist leaves others",
     {},
     {kRunCommand},
     true,
     "full",
     kAma,
     Op::kInstall,
     true,
     "not blocked"},
    {"in both lists: blocked",
     {kRunCommand},
     {kRunCommand},
     true,
     "full",
     kRunCommand,
     Op::kUpgrade,
     false,
     "the blocklist wins"},
    {"Allow/None allows nothing",
     {"Allow/None"},
     {},
     true,
     "full",
     kAma,
     Op::kInstall,
     false,
     "Allow/None"},
    {"allow/none in any case",
     {"allow/none"},
     {},
     true,
     "full",
     kAma,
     Op::kUpdate,
     false,
     "Allow/None"},
    {"delete always allowed: blocklisted",
     {},
     {kRunCommand},
     true,
     "full",
     kRunCommand,
     Op::kDelete,
     true,
     "always allowed"},
    {"delete always allowed: not in allowlist",
     {"Allow/None"},
     {},
     true,
     "full",
     kRunCommand,
     Op::kDelete,
     true,
     "always allowed"},
    {"delete always allowed: extensions disabled",
     {},
     {},
     false,
     "full",
     kAma,
     Op::kDelete,
     true,
     "always allowed"},
    {"extensions disabled",
     {kAma},
     {},
     false,
     "full",
     kAma,
     Op::kInstall,
     false,
     "extensions.enabled is false"},
    {"monitor mode: built-in list allows AMA",
     {},
     {},
     true,
     "monitor",
     kAma,
     Op::kInstall,
     true,
     "monitor-mode allowlist"},
    {"monitor mode: built-in list blocks RunCommand",
     {kRunCommand},
     {},
     true,
     "monitor",
     kRunCommand,
     Op::kInstall,
     false,
     "monitor-mode allowlist"},
    {"monitor mode: defender allowed",
     {},
     {},
     true,
     "monitor",
     "Microsoft.Azure.AzureDefenderForServers/MDE.Linux",
     Op::kUpgrade,
     true,
     "monitor"},
};

TEST(ExtensionPolicyTest, Precedence) {
    for (const auto& c : kCases) {
        SCOPED_TRACE(c.name);
        LocalConfig config;
        config.extensions_allowlist = c.allowlist;
        config.extensions_blocklist = c.blocklist;
        config.extensions_enabled = c.enabled;
        config.config_mode = c.mode;
        const auto slash = c.extension.find('/');
        const auto decision = decide(config, c.extension.substr(0, slash),
                                     c.extension.substr(slash + 1), c.operation);
        EXPECT_EQ(decision.allowed, c.allowed) << decision.reason;
        EXPECT_NE(decision.reason.find(c.reason_part), std::string::npos) << decision.reason;
    }
}

TEST(ExtensionPolicyTest, EntrySyntax) {
    for (const char* good : {"Microsoft.Azure.Monitor/AzureMonitorLinuxAgent", "a/b",
                             "A_1-x.y/T-2_z", "Allow/None", "allow/none"}) {
        EXPECT_TRUE(isValidExtensionEntry(good)) << good;
    }
    for (const char* bad :
         {"", "/", "a/", "/b", "a/b/c", "a b/c", "a/b c", "NoSlash", "a\\b", "a/b\n", "é/b"}) {
        EXPECT_FALSE(isValidExtensionEntry(bad)) << bad;
    }
}

TEST(ExtensionPolicyTest, MonitorModeListIsValidAndHasTheMonitoringAgents) {
    const auto& list = monitorModeAllowlist();
    EXPECT_GE(list.size(), 10u);
    for (const auto& entry : list) {
        EXPECT_TRUE(isValidExtensionEntry(entry)) << entry;
    }
    LocalConfig monitor;
    monitor.config_mode = "monitor";
    EXPECT_TRUE(decide(monitor, "Microsoft.Azure.Monitor", "AzureMonitorWindowsAgent", Op::kInstall)
                    .allowed);
    EXPECT_FALSE(
        decide(monitor, "Microsoft.Azure.Extensions", "CustomScript", Op::kInstall).allowed);
}

} // namespace
} // namespace azcm::config
