// The real agent's Windows layout through Paths: %ProgramData%, %ProgramFiles% and the system
// drive from the shell's known folders, and a sandbox root in front of them without the drive.
#include "common/paths/paths.hpp"
#include "common/platform/install_layout.hpp"

#include <cwctype>
#include <string>

#include <gtest/gtest.h>

namespace azcm {
namespace {

// Windows compares paths without case.
std::wstring folded(const std::filesystem::path& path) {
    std::wstring text = path.wstring();
    for (auto& c : text) {
        c = static_cast<wchar_t>(std::towlower(c));
    }
    return text;
}

TEST(InstallLayoutWindowsTest, TheRealAgentsFolders) {
    const Paths installed;
    EXPECT_FALSE(installed.isSandbox());
    EXPECT_EQ(folded(installed.agentConfig()),
              L"c:\\programdata\\azureconnectedmachineagent\\config\\agentconfig.json");
    EXPECT_EQ(folded(installed.localConfig()),
              L"c:\\programdata\\azureconnectedmachineagent\\config\\localconfig.json");
    EXPECT_EQ(folded(installed.tokensDir()),
              L"c:\\programdata\\azureconnectedmachineagent\\tokens");
    EXPECT_EQ(folded(installed.certsDir()), L"c:\\programdata\\azureconnectedmachineagent\\certs");
    EXPECT_EQ(folded(installed.logFile("himds")),
              L"c:\\programdata\\azureconnectedmachineagent\\log\\himds.log");
    EXPECT_EQ(folded(installed.binDir()), L"c:\\program files\\azureconnectedmachineagent");
    EXPECT_EQ(folded(installed.guestConfigDir()), L"c:\\programdata\\guestconfig");
    EXPECT_EQ(folded(installed.extensionsDir()), L"c:\\packages\\plugins");
    EXPECT_EQ(folded(installed.downloadsDir()),
              L"c:\\program files\\azureconnectedmachineagent\\extensionservice\\downloads");
}

TEST(InstallLayoutWindowsTest, ASandboxKeepsTheLayoutBelowItsRootWithoutTheDrive) {
    const Paths sandbox(L"Z:\\tmp\\sandbox\\");
    EXPECT_TRUE(sandbox.isSandbox());
    EXPECT_EQ(
        folded(sandbox.agentConfig()),
        L"z:\\tmp\\sandbox\\programdata\\azureconnectedmachineagent\\config\\agentconfig.json");
    EXPECT_EQ(folded(sandbox.extensionsDir()), L"z:\\tmp\\sandbox\\packages\\plugins");
    EXPECT_EQ(folded(sandbox.binDir()),
              L"z:\\tmp\\sandbox\\program files\\azureconnectedmachineagent");
}

} // namespace
} // namespace azcm
