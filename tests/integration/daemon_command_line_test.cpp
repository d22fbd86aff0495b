// Every shipped daemon's command line (daemon/daemon_command_line.hpp): --version prints the
// agent version and exits 0; anything else is refused, since configuration never comes from flags.
#include "common/agent_version.hpp"
#include "process.hpp"

#include <string>

#include <gtest/gtest.h>

namespace azcm::test {
namespace {

TEST(DaemonCommandLine, VersionPrintsTheAgentVersionAndOtherArgumentsAreRefused) {
    for (const char* daemon : {"himds", "extservice", "gcservice", "arcproxy"}) {
        const std::string binary = binDir() + "/" + daemon;
        const auto version = runCommand({binary, "--version"});
        EXPECT_EQ(version.exit_code, 0) << daemon << ": " << version.err;
        EXPECT_EQ(version.out, azcm::agentVersion() + "\n") << daemon;
        const auto refused = runCommand({binary, "--no-such-flag"});
        EXPECT_NE(refused.exit_code, 0) << daemon;
        EXPECT_NE(refused.err.find("--no-such-flag"), std::string::npos)
            << daemon << ": " << refused.err;
    }
}

} // namespace
} // namespace azcm::test
