// The installer helper's pieces against wine's registry, security and account calls (the test
// prefix is thrown away afterwards): machine variables and Path entries are idempotent, a
// directory gets exactly its DACL (also when it existed before with another), the reader group
// is created once and resolves by name, and the directory rules grant what docs/windows.md says.
#include "common/platform/windows/account_sid.hpp"
#include "common/platform/windows/directory_acl.hpp"
#include "common/platform/windows/local_group.hpp"
#include "common/platform/windows/machine_registry.hpp"
#include "setup/agent_setup.hpp"
#include "setup/autoupgrade_task.hpp"
#include "temp_dir.hpp"
#include "under_wine.hpp"

#include <algorithm>

#include <gtest/gtest.h>
#include <windows.h>

namespace azcm::platform::windows {
namespace {

using test::underWine;

TEST(MachineRegistryTest, MachineVariablesAreSetReadAndRemoved) {
    ASSERT_TRUE(setMachineVariable("AZCM_SETUP_TEST", "value 1"));
    ASSERT_TRUE(setMachineVariable("AZCM_SETUP_TEST", "value 2"));
    auto value = machineVariable("AZCM_SETUP_TEST");
    ASSERT_TRUE(value) << value.error().message;
    EXPECT_EQ(value.value().value_or(""), "value 2");
    ASSERT_TRUE(removeMachineVariable("AZCM_SETUP_TEST"));
    ASSERT_TRUE(removeMachineVariable("AZCM_SETUP_TEST")) << "removing an absent variable";
    EXPECT_FALSE(machineVariable("AZCM_SETUP_TEST").value());
}

TEST(MachineRegistryTest, APathEntryIsAddedOnceAndRemovedWhateverItsCase) {
    const auto before = machineVariable("Path").value().value_or("");
    const std::filesystem::path directory = L"C:\\Program Files\\AzcmSetupTest";
    ASSERT_TRUE(addToMachinePath(directory));
    ASSERT_TRUE(addToMachinePath(L"c:\\program files\\azcmsetuptest\\")) << "the same, other case";
    const auto added = machineVariable("Path").value().value_or("");
    EXPECT_EQ(added, before.empty() ? "C:\\Program Files\\AzcmSetupTest"
                                    : before + ";C:\\Program Files\\AzcmSetupTest");
    ASSERT_TRUE(removeFromMachinePath(L"C:\\PROGRAM FILES\\AZCMSETUPTEST"));
    EXPECT_EQ(machineVariable("Path").value().value_or(""), before);
}

TEST(DirectoryAclTest, ADirectoryGetsExactlyItsDaclEvenIfItExisted) {
    test::TempDir temp;
    const auto directory = temp.path() / "private";
    std::filesystem::create_directory(directory);
    EXPECT_FALSE(ensureDirectoryWithDacl(temp.path() / "bad", "D:(A;;FA;;;NOT-A-SID)"));
    EXPECT_FALSE(std::filesystem::exists(temp.path() / "bad")) << "nothing made for a bad DACL";

    ASSERT_TRUE(ensureDirectoryWithDacl(directory, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"));
    auto dacl = directoryDacl(directory);
    ASSERT_TRUE(dacl) << dacl.error().message;
    if (underWine()) {
        // wine 8 keeps no DACL of a file: it reports one made from the Unix mode bits.
        EXPECT_EQ(dacl.value().find("D:P"), std::string::npos) << dacl.value();
        return;
    }
    EXPECT_NE(dacl.value().find("D:P"), std::string::npos) << dacl.value() << ": not protected";
    EXPECT_NE(dacl.value().find(";;;SY)"), std::string::npos) << dacl.value();
    EXPECT_NE(dacl.value().find(";;;BA)"), std::string::npos) << dacl.value();
    EXPECT_EQ(dacl.value().find(";;;BU)"), std::string::npos) << dacl.value();
    EXPECT_EQ(dacl.value().find(";;;WD)"), std::string::npos) << dacl.value();
}

TEST(LocalGroupTest, TheReaderGroupIsCreatedOnceAndResolvesByName) {
    ASSERT_TRUE(ensureLocalGroup("azcm setup test group", "test"));
    ASSERT_TRUE(ensureLocalGroup("azcm setup test group", "test")) << "already there";
    auto sid = accountSid("azcm setup test group");
    ASSERT_TRUE(sid) << sid.error().message;
    if (underWine()) {
        // wine 8's NetLocalGroupAdd is a stub that reports success: no group to find.
        EXPECT_FALSE(sid.value().has_value());
    } else {
        ASSERT_TRUE(sid.value().has_value());
        EXPECT_EQ(sid.value().value().rfind("S-1-5-", 0), 0U) << sid.value().value();
    }
    ASSERT_TRUE(deleteLocalGroup("azcm setup test group"));
    ASSERT_TRUE(deleteLocalGroup("azcm setup test group")) << "deleting an absent group";
}

TEST(AgentSetupTest, TheDirectoryRulesGrantWhatTheLayoutNeeds) {
    const Paths paths(L"Z:\\sandbox");
    const auto rules = setup::directoryRules(paths, "S-1-5-21-1-2-3-1001");
    const auto rule_for = [&rules](const std::filesystem::path& path) {
        auto found = std::find_if(rules.begin(), rules.end(),
                                  [&path](const auto& rule) { return rule.path == path; });
        return found == rules.end() ? std::string() : found->sddl;
    };
    // Parents before children: each directory is created inside one that exists.
    for (std::size_t i = 0; i < rules.size(); ++i) {
        for (std::size_t j = i + 1; j < rules.size(); ++j) {
            // rules[i] lies inside rules[j], which is created later: wrong order.
            const auto relative = rules[i].path.lexically_relative(rules[j].path);
            EXPECT_TRUE(relative.empty() || *relative.begin() == "..")
                << rules[j].path.string() << " comes after its child " << rules[i].path.string();
        }
    }
    const std::string himds = "S-1-5-80-4215458991-2034252225-2287069555-1155419622-2701885083";
    const auto tokens = rule_for(paths.tokensDir());
    EXPECT_NE(tokens.find("(A;OICI;0x1200a9;;;S-1-5-21-1-2-3-1001)"), std::string::npos) << tokens;
    EXPECT_NE(tokens.find("(A;OICI;FA;;;" + himds + ")"), std::string::npos) << tokens;
    EXPECT_EQ(tokens.find(";;;BU)"), std::string::npos) << "users may not read tokens: " << tokens;
    const auto certs = rule_for(paths.certsDir());
    EXPECT_EQ(certs, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + himds + ")");
    EXPECT_EQ(rule_for(paths.extensionsDir()), "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)");
    EXPECT_NE(rule_for(paths.logDirFor("arcproxy")).find("(A;OICI;FA;;;NS)"), std::string::npos);

    // Without the group's SID, Tokens grants nobody else: fail closed.
    const auto unknown_group = setup::directoryRules(paths, "");
    const auto closed =
        std::find_if(unknown_group.begin(), unknown_group.end(),
                     [&](const auto& rule) { return rule.path == paths.tokensDir(); });
    ASSERT_NE(closed, unknown_group.end());
    EXPECT_EQ(closed->sddl, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + himds + ")");
}

// The automatic upgrades' task as schtasks.exe receives it (wine's Task Scheduler keeps only its
// name and settings, so the rest is checked here): azcmagent.exe of the install directory with
// `upgrade --automatic`, as LocalSystem, every minute, one run at a time.
TEST(AutoUpgradeTask, RunsTheInstalledAzcmagentAsSystemEveryMinute) {
    const auto xml = setup::autoUpgradeTaskXml(
        std::filesystem::path("C:\\Program Files\\AzureConnectedMachineAgent"));
    for (const char* part : {
             "<URI>\\Microsoft\\AzureConnectedMachineAgent\\AutoUpgrade</URI>",
             "<Command>C:\\Program Files\\AzureConnectedMachineAgent\\azcmagent.exe</Command>",
             "<Arguments>upgrade --automatic</Arguments>",
             "<UserId>S-1-5-18</UserId>",
             "<RunLevel>HighestAvailable</RunLevel>",
             "<Interval>PT1M</Interval>",
             "<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>",
             "<ExecutionTimeLimit>PT1H</ExecutionTimeLimit>",
         }) {
        EXPECT_NE(xml.find(part), std::string::npos) << part << " not in\n" << xml;
    }
}

// An install directory is the administrator's choice: its characters stay text in the XML.
TEST(AutoUpgradeTask, TheInstallDirectoryIsEscaped) {
    const auto xml = setup::autoUpgradeTaskXml(std::filesystem::path("C:\\R&D <agent>"));
    EXPECT_NE(xml.find("<Command>C:\\R&amp;D &lt;agent&gt;\\azcmagent.exe</Command>"),
              std::string::npos)
        << xml;
    EXPECT_EQ(xml.find("R&D"), std::string::npos);
}

} // namespace
} // namespace azcm::platform::windows
