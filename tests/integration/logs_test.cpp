// `azcmagent logs` as shipped: the real binary against a real himds in a sandbox. What goes into
// the zip and the redaction rules are unit-tested (tests/unit/azcmagent/logs_command_test.cpp);
// this checks the process: root gets a zip with the running himds's status and no secret from
// localconfig.json, another user gets AZCM0018.
#include "common/agent_version.hpp"
#include "process.hpp"
#include "sandbox.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace azcm::test {
namespace {

constexpr uid_t kNobody = 65534;

TEST(LogsCommandTest, RootGetsAZipWithTheDaemonStatusAndNoSecret) {
    Sandbox sandbox;
    sandbox.writeLocalConfig({{"proxy.url", "http://arc:Proxy-Secret-9@127.0.0.1:3128"}});
    sandbox.startHimds();
    const auto zip = sandbox.root() / "support.zip";
    const auto result = sandbox.azcmagent({"logs", "--output", zip.string()});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(result.out, zip.string() + "\n");

    const auto names = runCommand({"/usr/bin/unzip", "-Z1", zip.string()});
    ASSERT_EQ(names.exit_code, 0) << names.err;
    for (const char* expected : {"logs/azcmagent/himds.log", "config/localconfig.json",
                                 "status/himds.json", "manifest.json"}) {
        EXPECT_NE(names.out.find(std::string(expected) + "\n"), std::string::npos) << expected;
    }
    EXPECT_EQ(names.out.find("certs"), std::string::npos);
    const auto status = runCommand({"/usr/bin/unzip", "-p", zip.string(), "status/himds.json"});
    EXPECT_NE(status.out.find(azcm::agentVersion()), std::string::npos) << status.out;
    const auto everything = runCommand({"/usr/bin/unzip", "-p", zip.string()});
    EXPECT_EQ(everything.out.find("Proxy-Secret-9"), std::string::npos);
    EXPECT_NE(everything.out.find("http://REDACTED@127.0.0.1:3128"), std::string::npos);
}

TEST(LogsCommandTest, AnotherUserIsRefusedWithExitCode18) {
    ASSERT_EQ(::geteuid(), 0U) << "dropping to uid 65534 needs root (CI runs as root)";
    Sandbox sandbox;
    const auto zip = std::filesystem::path("/tmp") /
                     ("azcm-logs-refused-" + std::to_string(::getpid()) + ".zip");
    const auto result = sandbox.azcmagent({"logs", "--output", zip.string()}, kNobody);
    EXPECT_EQ(result.exit_code, 18) << result.out << result.err;
    EXPECT_NE(result.out.find("AZCM0018"), std::string::npos) << result.out;
    EXPECT_FALSE(std::filesystem::exists(zip));
}

} // namespace
} // namespace azcm::test
