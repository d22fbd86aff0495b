// Secrets and the command line: a secret given in argv is readable by every local user through
// /proc/<pid>/cmdline, so the CLI warns (naming --config or standard input) and takes "-" as "read
// it from standard input"; proxy.url credentials go to the secret file only.
#include "azcmagent/app.hpp"
#include "azcmagent/redact.hpp"
#include "common/config/local_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "fake_environment.hpp"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::azcmagent {
namespace {

using nlohmann::json;
using test::FakeEnvironment;

const std::vector<std::string> kConnectWithoutSecret{
    "connect", "-i", "app-id", "-t", "tenant-1", "-s", "sub-1", "-g", "rg-1", "-l", "eastus"};

std::vector<std::string> connectWith(std::vector<std::string> credential) {
    auto args = kConnectWithoutSecret;
    args.insert(args.end(), credential.begin(), credential.end());
    return args;
}

std::string tokenRequestBody(const FakeEnvironment& fake) {
    for (const auto& call : fake.https_calls) {
        if (call.target.find("/oauth2/v2.0/token") != std::string::npos) {
            return call.body;
        }
    }
    return {};
}

TEST(SecretArguments, EachFormOfASecretOnTheCommandLineIsFoundButDashIsNot) {
    const auto found = secretArguments({"connect", "-p", "s", "--access-token=t",
                                        "--service-principal-secret", "u", "-pX", "--tags", "a=b"});
    ASSERT_EQ(found.size(), 4U);
    EXPECT_EQ(found[0].option, "-p");
    EXPECT_EQ(found[1].option, "--access-token");
    EXPECT_EQ(found[2].option, "--service-principal-secret");
    EXPECT_EQ(found[3].option, "-p");
    EXPECT_TRUE(secretArguments({"connect", "-p", "-", "--access-token=-"}).empty());
    const auto url = secretArguments({"config", "set", "proxy.url", "http://u:p@proxy:3128"});
    ASSERT_EQ(url.size(), 1U);
    EXPECT_TRUE(url[0].url);
    EXPECT_TRUE(secretArguments({"config", "set", "proxy.url", "http://proxy:3128"}).empty());
}

TEST(SecretInput, ASecretOnTheCommandLineWorksButIsWarnedAboutOnStderr) {
    FakeEnvironment fake;
    ASSERT_EQ(runCli(connectWith({"--service-principal-secret", "s3cret"}), fake.env()), 0)
        << fake.out();
    EXPECT_NE(fake.err().find("WARNING the value of --service-principal-secret on the command "
                              "line can be read by other users"),
              std::string::npos)
        << fake.err();
    EXPECT_NE(fake.err().find("--config"), std::string::npos) << fake.err();
    EXPECT_EQ(fake.out().find("WARNING"), std::string::npos) << "stdout stays the command's";
    EXPECT_NE(tokenRequestBody(fake).find("client_secret=s3cret"), std::string::npos);
}

TEST(SecretInput, DashReadsTheSecretFromStandardInputWithoutAWarning) {
    FakeEnvironment fake;
    fake.setInput("s3cret-from-stdin\r\nthe second line is not read\n");
    ASSERT_EQ(runCli(connectWith({"-p", "-"}), fake.env()), 0) << fake.out();
    EXPECT_EQ(fake.err().find("WARNING"), std::string::npos) << fake.err();
    const auto body = tokenRequestBody(fake);
    EXPECT_NE(body.find("client_secret=s3cret-from-stdin"), std::string::npos) << body;
    EXPECT_EQ(body.find("second"), std::string::npos) << body;
    EXPECT_EQ(body.find("%0D"), std::string::npos) << "the line end is not part of the secret";
}

TEST(SecretInput, AnAccessTokenMayComeFromStandardInputToo) {
    FakeEnvironment fake;
    fake.setInput("hdr.payload.sig\n");
    ASSERT_EQ(runCli({"connect", "--access-token", "-", "-t", "tenant-1", "-s", "sub-1", "-g",
                      "rg-1", "-l", "eastus"},
                     fake.env()),
              0)
        << fake.out();
    EXPECT_EQ(fake.err().find("WARNING"), std::string::npos) << fake.err();
    EXPECT_TRUE(tokenRequestBody(fake).empty()) << "the token is used as it is";
    const auto put =
        std::find_if(fake.https_calls.begin(), fake.https_calls.end(),
                     [](const test::RecordedCall& call) { return call.method == "PUT"; });
    ASSERT_NE(put, fake.https_calls.end());
    EXPECT_EQ(put->authorization, "Bearer hdr.payload.sig");
}

TEST(SecretInput, NothingOnStandardInputIsAMissingParameter) {
    FakeEnvironment fake;
    fake.setInput("");
    EXPECT_EQ(runCli(connectWith({"-p", "-"}), fake.env()), exitcode::kMissingParameter);
    EXPECT_NE(fake.out().find("--service-principal-secret is '-' but standard input holds no "
                              "value"),
              std::string::npos)
        << fake.out();
    EXPECT_TRUE(fake.https_calls.empty());
}

class ProxyUrlSecret : public ::testing::Test {
protected:
    int run(const std::vector<std::string>& args) { return runCli(args, fake_.env()); }
    std::filesystem::path file() { return fake_.env().paths.localConfig(); }
    std::filesystem::path secret() { return fake_.env().paths.localConfigSecret(); }
    std::string text(const std::filesystem::path& path) {
        auto read = fs::readFile(path);
        return read ? read.value() : std::string("<missing>");
    }

    FakeEnvironment fake_;
};

TEST_F(ProxyUrlSecret, CredentialsGoToTheSecretFileAndAreNeverShown) {
    ASSERT_EQ(run({"config", "set", "proxy.url", "http://alice:s3cret@proxy:3128"}), 0)
        << fake_.out();
    EXPECT_EQ(text(file()).find("s3cret"), std::string::npos) << text(file());
    EXPECT_EQ(json::parse(text(file())).at("proxy.url"), "http://***@proxy:3128");
    struct stat info {};
    ASSERT_EQ(::stat(secret().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0007, 0U) << "others may not read the secret file";
    EXPECT_EQ(info.st_uid, ::geteuid());
    EXPECT_EQ(json::parse(text(secret())).at("proxy.url"), "http://alice:s3cret@proxy:3128");
    EXPECT_EQ(config::loadLocalConfig(file()).value().proxy_url, "http://alice:s3cret@proxy:3128");

    for (const auto& args : std::vector<std::vector<std::string>>{{"config", "get", "proxy.url"},
                                                                  {"config", "list"},
                                                                  {"config", "list", "-j"},
                                                                  {"show"}}) {
        const auto before = fake_.out().size();
        EXPECT_EQ(run(args), 0);
        const auto printed = fake_.out().substr(before);
        EXPECT_EQ(printed.find("s3cret"), std::string::npos) << printed;
        EXPECT_NE(printed.find("http://***@proxy:3128"), std::string::npos) << printed;
    }
    // The command line had the password: the warning says how to avoid that.
    EXPECT_NE(fake_.err().find("WARNING a URL with credentials on the command line"),
              std::string::npos)
        << fake_.err();
    EXPECT_NE(fake_.err().find("standard input"), std::string::npos) << fake_.err();

    ASSERT_EQ(run({"config", "clear", "proxy.url"}), 0) << fake_.out();
    EXPECT_FALSE(std::filesystem::exists(secret()));
    EXPECT_EQ(json::parse(text(file())).at("proxy.url"), "");
}

TEST_F(ProxyUrlSecret, DashReadsTheUrlFromStandardInput) {
    fake_.setInput("http://alice:s3cret@proxy:3128\n");
    ASSERT_EQ(run({"config", "set", "proxy.url", "-"}), 0) << fake_.out();
    EXPECT_EQ(fake_.err().find("WARNING"), std::string::npos) << fake_.err();
    EXPECT_NE(fake_.out().find("Config property proxy.url set to value http://***@proxy:3128"),
              std::string::npos)
        << fake_.out();
    EXPECT_EQ(json::parse(text(secret())).at("proxy.url"), "http://alice:s3cret@proxy:3128");
    // A bad URL from standard input is refused like one from the command line, showing no secret.
    fake_.setInput("https://alice:s3cret@proxy:3128\n");
    EXPECT_EQ(run({"config", "set", "proxy.url", "-"}), exitcode::kInvalidArgument);
    EXPECT_EQ(fake_.out().find("s3cret"), std::string::npos) << fake_.out();
    fake_.setInput("");
    EXPECT_EQ(run({"config", "set", "proxy.url", "-"}), exitcode::kMissingParameter);
    EXPECT_EQ(json::parse(text(secret())).at("proxy.url"), "http://alice:s3cret@proxy:3128");
}

} // namespace
} // namespace azcm::azcmagent
