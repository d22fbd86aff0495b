#include "paths/paths.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

namespace azcm {
namespace {

TEST(PathsTest, DefaultRootUsesPlatformPaths) {
    Paths paths;
    EXPECT_FALSE(paths.isSandbox());
    EXPECT_EQ(paths.agentConfig(), "/var/opt/azcmagent/agentconfig.json");
    EXPECT_EQ(paths.localConfig(), "/var/opt/azcmagent/localconfig.json");
    EXPECT_EQ(paths.socketFor("himds"), "/var/opt/azcmagent/socks/himds.sock");
    EXPECT_EQ(paths.logFile("azcmagent"), "/var/opt/azcmagent/log/azcmagent.log");
    EXPECT_EQ(paths.tokensDir(), "/var/opt/azcmagent/tokens");
    EXPECT_EQ(paths.binDir(), "/opt/azcmagent/bin");
    EXPECT_EQ(paths.extensionsDir(), "/var/lib/waagent");
}

TEST(PathsTest, RootPrefixesEveryPath) {
    Paths paths("/tmp/sandbox/");
    EXPECT_TRUE(paths.isSandbox());
    EXPECT_EQ(paths.root(), "/tmp/sandbox");
    EXPECT_EQ(paths.agentConfig(), "/tmp/sandbox/var/opt/azcmagent/agentconfig.json");
    EXPECT_EQ(paths.certsDir(), "/tmp/sandbox/var/opt/azcmagent/certs");
    EXPECT_EQ(paths.guestConfigDir(), "/tmp/sandbox/var/lib/GuestConfig");
    EXPECT_EQ(paths.downloadsDir(), "/tmp/sandbox/opt/GC_Ext/downloads");
    // The host's trust store is never relocated.
    EXPECT_EQ(Paths::systemTrustBundle(), "/etc/ssl/certs/ca-certificates.crt");
}

TEST(PathsTest, EnvironmentRootIsHonoured) {
    ::setenv("AZCM_ROOT", "/tmp/envroot", 1);
    auto from_env = Paths::fromEnvironment();
    ::unsetenv("AZCM_ROOT");
    EXPECT_EQ(from_env.agentDataDir(), "/tmp/envroot/var/opt/azcmagent");
    EXPECT_FALSE(Paths::fromEnvironment().isSandbox());
}

} // namespace
} // namespace azcm
