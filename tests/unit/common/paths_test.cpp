#include "common/paths/paths.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

namespace azcm {
namespace {

TEST(PathsTest, DefaultRootUsesPlatformPaths) {
    Paths paths;
    EXPECT_FALSE(paths.isSandbox());
    EXPECT_EQ(paths.agentConfig(), "/var/opt/azcmagent/agentconfig.json");
    EXPECT_EQ(paths.localConfig(), "/var/opt/azcmagent/localconfig.json");
    EXPECT_EQ(paths.logFile("azcmagent"), "/var/opt/azcmagent/log/azcmagent.log");
    EXPECT_EQ(paths.tokensDir(), "/var/opt/azcmagent/tokens");
    EXPECT_EQ(paths.binDir(), "/opt/azcmagent/bin");
    EXPECT_EQ(paths.extensionsDir(), "/var/lib/waagent");
}

// socks/ and log/ are root's; himds and arcproxy, which run under accounts of their own, each
// have a directory of their own in both, and the documented log names stay where they were.
TEST(PathsTest, EachServiceAccountHasItsOwnSocketAndLogDirectory) {
    Paths paths;
    EXPECT_EQ(paths.socketsDir(), "/var/opt/azcmagent/socks");
    EXPECT_EQ(paths.socketFor("himds"), "/var/opt/azcmagent/socks/himds/himds.sock");
    EXPECT_EQ(paths.socketFor("arcproxy"), "/var/opt/azcmagent/socks/arcproxy/arcproxy.sock");
    EXPECT_EQ(paths.socketFor("extservice"), "/var/opt/azcmagent/socks/extservice.sock");
    EXPECT_EQ(paths.socketFor("gcservice"), "/var/opt/azcmagent/socks/gcservice.sock");
    EXPECT_EQ(paths.socketDirFor("himds"), "/var/opt/azcmagent/socks/himds");
    EXPECT_EQ(paths.socketDirFor("gcservice"), "/var/opt/azcmagent/socks");

    EXPECT_EQ(paths.logFile("himds"), "/var/opt/azcmagent/log/himds.log");
    EXPECT_EQ(paths.logFile("arcproxy"), "/var/opt/azcmagent/log/arcproxy.log");
    EXPECT_EQ(paths.ownLogFile("himds"), "/var/opt/azcmagent/log/himds/himds.log");
    EXPECT_EQ(paths.ownLogFile("arcproxy"), "/var/opt/azcmagent/log/arcproxy/arcproxy.log");
    EXPECT_EQ(paths.ownLogFile("azcmagent"), "/var/opt/azcmagent/log/azcmagent.log");
    EXPECT_EQ(paths.logDirFor("azcmagent"), paths.logDir());

    EXPECT_EQ(Paths::serviceAccount("himds"), "himds");
    EXPECT_EQ(Paths::serviceAccount("arcproxy"), "arcproxy");
    EXPECT_FALSE(Paths::serviceAccount("extservice"));
    EXPECT_FALSE(Paths::serviceAccount("azcmagent"));
}

TEST(PathsTest, RootPrefixesEveryPath) {
    Paths paths("/tmp/sandbox/");
    EXPECT_TRUE(paths.isSandbox());
    EXPECT_EQ(paths.root(), "/tmp/sandbox");
    EXPECT_EQ(paths.agentConfig(), "/tmp/sandbox/var/opt/azcmagent/agentconfig.json");
    EXPECT_EQ(paths.certsDir(), "/tmp/sandbox/var/opt/azcmagent/certs");
    EXPECT_EQ(paths.guestConfigDir(), "/tmp/sandbox/var/lib/GuestConfig");
    EXPECT_EQ(paths.downloadsDir(), "/tmp/sandbox/opt/GC_Ext/downloads");
}

TEST(PathsTest, SlashAloneIsNoSandbox) {
    EXPECT_FALSE(Paths("/").isSandbox());
    EXPECT_FALSE(Paths("").isSandbox());
    EXPECT_EQ(Paths("/").agentDataDir(), "/var/opt/azcmagent");
    EXPECT_EQ(Paths("/tmp/x/..").agentDataDir(), "/tmp/var/opt/azcmagent");
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
