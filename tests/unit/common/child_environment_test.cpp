// The environment and program lookup of every process the agent starts.
#include "common/platform/child_environment.hpp"
#include "hostile_environment.hpp"

#include <gtest/gtest.h>

namespace azcm::platform {
namespace {

const std::string kSafe(kSafePath);

TEST(ChildEnvironmentTest, OnlyAllowListedVariablesPassAndPathIsFixed) {
    const EnvironmentMap daemon = {
        {"PATH", ":/tmp/evil:/usr/bin"},
        {"LD_PRELOAD", "/tmp/evil/lib.so"},
        {"LD_LIBRARY_PATH", "/tmp/evil"},
        {"LD_AUDIT", "/tmp/evil/audit.so"},
        {"HOME", "/root"},
        {"NOTIFY_SOCKET", "/run/systemd/notify"},
        {"CREDENTIALS_DIRECTORY", "/run/credentials/x"},
        {"IDENTITY_ENDPOINT", "http://localhost:40342/metadata/identity/oauth2/token"},
        {"IMDS_ENDPOINT", "http://localhost:40342"},
        {"HTTPS_PROXY", "http://proxy:3128"},
        {"https_proxy", "http://proxy:3128"},
        {"HTTP_PROXY", "http://proxy:3128"},
        {"NO_PROXY", "localhost"},
        {"no_proxy", "localhost"},
        {"LANG", "C.UTF-8"},
        {"LC_ALL", "C"},
        {"LC_MESSAGES", "C"},
        {"LC_", "not a locale category"},
        {"TZ", "UTC"},
    };
    const EnvironmentMap expected = {
        {"PATH", kSafe},
        {"IDENTITY_ENDPOINT", "http://localhost:40342/metadata/identity/oauth2/token"},
        {"IMDS_ENDPOINT", "http://localhost:40342"},
        {"HTTPS_PROXY", "http://proxy:3128"},
        {"https_proxy", "http://proxy:3128"},
        {"HTTP_PROXY", "http://proxy:3128"},
        {"NO_PROXY", "localhost"},
        {"no_proxy", "localhost"},
        {"LANG", "C.UTF-8"},
        {"LC_ALL", "C"},
        {"LC_MESSAGES", "C"},
        {"TZ", "UTC"},
    };
    EXPECT_EQ(childEnvironment(daemon), expected);
}

TEST(ChildEnvironmentTest, CallersVariablesWinButCannotSetPathOrLoaderVariables) {
    const EnvironmentMap daemon = {{"LANG", "C"}, {"IMDS_ENDPOINT", "inherited"}};
    const EnvironmentMap extra = {{"ConfigSequenceNumber", "3"},
                                  {"IMDS_ENDPOINT", "protocol"},
                                  {"PATH", "/tmp/evil"},
                                  {"LD_PRELOAD", "/tmp/evil/lib.so"}};
    const EnvironmentMap expected = {{"PATH", kSafe},
                                     {"LANG", "C"},
                                     {"IMDS_ENDPOINT", "protocol"},
                                     {"ConfigSequenceNumber", "3"}};
    EXPECT_EQ(childEnvironment(daemon, extra), expected);
}

TEST(ChildEnvironmentTest, ProgramsComeFromTheSafePathNeverFromTheCurrentDirectory) {
    test::HostileEnvironment hostile; // PATH=":<planted>:/usr/bin:/bin", cwd holds "env", "id"
    auto env = resolveProgram("env");
    ASSERT_TRUE(env) << env.error().message;
    EXPECT_TRUE(env.value().is_absolute());
    EXPECT_NE(env.value().parent_path(), hostile.plantedDir());
    EXPECT_NE(kSafe.find(env.value().parent_path().string()), std::string::npos) << env.value();

    EXPECT_EQ(resolveProgram("/bin/sh").value(), "/bin/sh");
    for (const char* refused : {"./env", "bin/env", "", "azcm-no-such-program"}) {
        auto result = resolveProgram(refused);
        ASSERT_FALSE(result) << refused;
        EXPECT_NE(result.error().message.find(refused), std::string::npos)
            << result.error().message;
    }
    EXPECT_FALSE(resolveProgram("/no/such/program"));
}

TEST(ChildEnvironmentTest, BlockIsNullTerminatedNameValueStrings) {
    EnvironmentBlock block({{"A", "1"}, {"B", "x=y"}});
    char* const* envp = block.envp();
    ASSERT_NE(envp[0], nullptr);
    EXPECT_STREQ(envp[0], "A=1");
    EXPECT_STREQ(envp[1], "B=x=y");
    EXPECT_EQ(envp[2], nullptr);
}

} // namespace
} // namespace azcm::platform
