#include "azcmagent/redact.hpp"

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

TEST(Redact, SecretsInEveryFormAreReplaced) {
    const std::vector<std::string> args{"connect",
                                        "--service-principal-id",
                                        "app-id",
                                        "--service-principal-secret",
                                        "s3cret1",
                                        "-p",
                                        "s3cret2",
                                        "-ps3cret3",
                                        "--access-token=tok.en.value",
                                        "--access-token",
                                        "tok.en.two",
                                        "-l",
                                        "eastus"};
    const auto line = redactedCommandLine(args);
    for (const char* secret : {"s3cret1", "s3cret2", "s3cret3", "tok.en.value", "tok.en.two"}) {
        EXPECT_EQ(line.find(secret), std::string::npos) << secret << " in " << line;
    }
    EXPECT_NE(line.find("app-id"), std::string::npos);
    EXPECT_NE(line.find("eastus"), std::string::npos);
    EXPECT_NE(line.find("--access-token=REDACTED"), std::string::npos);
    EXPECT_NE(line.find("-pREDACTED"), std::string::npos);
}

TEST(Redact, ProxyUrlCredentialsInAPositional) {
    const auto out = redactArguments({"config", "set", "proxy.url", "http://bob:pw@proxy:3128"});
    ASSERT_EQ(out.size(), 4U);
    EXPECT_EQ(out[3], "http://***@proxy:3128");
    EXPECT_EQ(redactArguments({"config", "set", "proxy.url", "http://proxy:3128"})[3],
              "http://proxy:3128");
}

TEST(Redact, PasswordPositionalValue) {
    const auto out = redactArguments({"config", "set", "proxy.password", "hunter2"});
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[3], kRedacted);
}

TEST(Redact, ShortPIsNotASecretOutsideConnectAndDisconnect) {
    const auto out = redactArguments({"check", "-p", "-l", "eastus"});
    EXPECT_EQ(out[1], "-p");
    EXPECT_EQ(out[2], "-l");
    EXPECT_EQ(out[3], "eastus");
}

TEST(Redact, GlobalConfigValueIsNotTakenForTheCommand) {
    const auto out = redactArguments({"--config", "file.json", "connect", "-p", "x"});
    EXPECT_EQ(out[1], "file.json");
    EXPECT_EQ(out[4], kRedacted);
}

} // namespace
} // namespace azcm::azcmagent
