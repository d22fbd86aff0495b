// A handler's command line on Windows: split by the C runtime's rules (the inverse of the quoting
// child processes get), the program relative to the handler's directory and never outside it,
// and no interpreter implied; a guest-configuration script string is refused.
#include "common/platform/command_interpreter.hpp"
#include "common/platform/windows/command_line.hpp"

#include <gtest/gtest.h>

namespace azcm::platform {
namespace {

using Argv = std::vector<std::string>;

TEST(SplitCommandLineTest, SplitsWhatCommandLineJoins) {
    const std::vector<Argv> cases = {
        {"handler.exe"},
        {"C:\\Program Files\\x.exe", "a b", "", "tab\there"},
        {"x.exe", "quote\"inside", "trailing\\", "\\\\server\\share", "back\\\\\"slash"},
        {"x.exe", "--setting=\"value\"", "%PATH%", "&|^<>"},
    };
    for (const auto& argv : cases) {
        auto line = windows::commandLine(argv);
        ASSERT_TRUE(line) << line.error().message;
        EXPECT_EQ(windows::splitCommandLine(line.value()), argv) << line.value();
    }
    EXPECT_TRUE(windows::splitCommandLine("  \t ").empty());
    EXPECT_EQ(windows::splitCommandLine("a \"b \"\"c\"\"\""), (Argv{"a", "b \"c\""}));
}

TEST(HandlerCommandTest, TheProgramIsRelativeToTheHandlerDirectory) {
    auto argv = handlerCommandArgv(L"C:\\Packages\\Plugins\\Pub.Ext\\1.0",
                                   "bin/handler.exe enable --name \"two words\"");
    ASSERT_TRUE(argv) << argv.error().message;
    EXPECT_EQ(argv.value(), (Argv{"C:\\Packages\\Plugins\\Pub.Ext\\1.0\\bin\\handler.exe", "enable",
                                  "--name", "two words"}));
}

TEST(HandlerCommandTest, AProgramOutsideTheHandlerDirectoryIsRefused) {
    const std::filesystem::path base = L"C:\\Packages\\Plugins\\Pub.Ext\\1.0";
    EXPECT_FALSE(handlerCommandArgv(base, "..\\..\\x.exe"));
    EXPECT_FALSE(handlerCommandArgv(base, "\"bin\\..\\..\\x.exe\" enable"));
    EXPECT_FALSE(handlerCommandArgv(base, "C:\\Windows\\System32\\cmd.exe /c whoami"));
    EXPECT_FALSE(handlerCommandArgv(base, "\\\\server\\share\\x.exe"));
    EXPECT_FALSE(handlerCommandArgv(base, "\"\" enable"));
    // Arguments are the handler's business.
    EXPECT_TRUE(handlerCommandArgv(base, "bin\\x.exe ..\\relative-arg"));
}

TEST(ScriptTest, AScriptStringIsRefusedForWantOfAShell) {
    auto argv = scriptArgv("echo hello");
    ASSERT_FALSE(argv);
    EXPECT_NE(argv.error().message.find("list"), std::string::npos) << argv.error().message;
}

} // namespace
} // namespace azcm::platform
