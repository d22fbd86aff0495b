// Bad input and refused operations: clear errors, the documented exit codes, nothing written.
#include "common/paths/paths.hpp"
#include "sandbox.hpp"

#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pwd.h>
#include <unistd.h>

namespace azcm::test {
namespace {

using nlohmann::json;

bool nothingWritten(const Sandbox& sandbox) {
    Paths paths(sandbox.root());
    return !std::filesystem::exists(paths.agentConfig()) &&
           !std::filesystem::exists(paths.certsDir() / "machine.key") &&
           !std::filesystem::exists(paths.certsDir() / "pending.key");
}

class ErrorsTest : public ::testing::Test {
protected:
    void SetUp() override {
        sandbox_.startEmulator();
        sandbox_.startHimds();
        onboarder_ = sandbox_.createServicePrincipal("onboarder", kOnboarding);
    }
    Sandbox sandbox_;
    ServicePrincipal onboarder_;
};

TEST_F(ErrorsTest, ConnectWhileConnectedIs67) {
    ASSERT_EQ(sandbox_.azcmagent(sandbox_.connectArgs(onboarder_, "m1")).exit_code, 0);
    auto again = sandbox_.azcmagent(sandbox_.connectArgs(onboarder_, "m1"));
    EXPECT_EQ(again.exit_code, 67);
    EXPECT_NE((again.out + again.err).find("AZCM0067"), std::string::npos)
        << again.out << again.err;
}

TEST_F(ErrorsTest, WrongSecretIs41) {
    auto wrong = onboarder_;
    wrong.password = "not-the-secret";
    auto result = sandbox_.azcmagent(sandbox_.connectArgs(wrong, "m2"));
    EXPECT_EQ(result.exit_code, 41) << result.out << result.err;
    EXPECT_TRUE(nothingWritten(sandbox_));
}

TEST_F(ErrorsTest, ReaderCannotCreateResourceIs42) {
    auto reader = sandbox_.createServicePrincipal("reader", "Reader");
    auto result = sandbox_.azcmagent(sandbox_.connectArgs(reader, "m3"));
    EXPECT_EQ(result.exit_code, 42) << result.out << result.err;
    EXPECT_NE((result.out + result.err).find("AZCM0042"), std::string::npos);
    EXPECT_TRUE(nothingWritten(sandbox_));
    EXPECT_FALSE(sandbox_.getMachine("arc-rg", "m3").has_value());
}

TEST_F(ErrorsTest, UnreachableControlPlaneIs26) {
    // A closed loopback port: bind one, note it, close it.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto port = std::to_string(acceptor.local_endpoint().port());
    acceptor.close();
    auto cloud = sandbox_.cloud();
    for (auto& [key, value] : cloud["endpoints"].items()) {
        value = "https://127.0.0.1:" + port + (key == "identity" ? "/his" : "");
    }
    auto path = sandbox_.root() / "closed-cloud.json";
    std::ofstream(path) << cloud.dump();
    auto args = sandbox_.connectArgs(onboarder_, "m4");
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--cloud-config") {
            args[i + 1] = path.string();
        }
    }
    auto result = sandbox_.azcmagent(args);
    EXPECT_EQ(result.exit_code, 26) << result.out << result.err;
    EXPECT_NE((result.out + result.err).find("AZCM0026"), std::string::npos);
    EXPECT_TRUE(nothingWritten(sandbox_));
}

TEST_F(ErrorsTest, MalformedCloudConfigWritesNothing) {
    auto path = sandbox_.root() / "bad-cloud.json";
    std::ofstream(path) << "{\"endpoints\": {\"arm\": ";
    auto args = sandbox_.connectArgs(onboarder_, "m5");
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--cloud-config") {
            args[i + 1] = path.string();
        }
    }
    auto result = sandbox_.azcmagent(args);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_FALSE((result.out + result.err).empty());
    EXPECT_TRUE(nothingWritten(sandbox_));
}

TEST_F(ErrorsTest, BadResourceNamesAndTagsWriteNothing) {
    for (const std::string& name : {std::string(55, 'a'), std::string("bad name"),
                                    std::string("ends-with-"), std::string("semi;colon")}) {
        auto result = sandbox_.azcmagent(sandbox_.connectArgs(onboarder_, name));
        EXPECT_EQ(result.exit_code, 23) << name << ": " << result.out << result.err;
    }
    auto fifty_four = sandbox_.azcmagent(sandbox_.connectArgs(onboarder_, std::string(54, 'b')));
    EXPECT_EQ(fifty_four.exit_code, 0) << fifty_four.out << fifty_four.err;
    ASSERT_EQ(sandbox_.azcmagent({"disconnect", "--force-local-only"}).exit_code, 0);

    auto args = sandbox_.connectArgs(onboarder_, "m6");
    args.insert(args.end(), {"--tags", "novalue,=x"});
    auto tags = sandbox_.azcmagent(args);
    EXPECT_EQ(tags.exit_code, 23) << tags.out << tags.err;
    EXPECT_TRUE(nothingWritten(sandbox_));
}

TEST_F(ErrorsTest, NonRootCallerIs18ButMayShow) {
    // Tests run as root in CI: drop to nobody; as a normal user, run as ourselves.
    uid_t uid = ::geteuid();
    if (uid == 0) {
        const passwd* nobody = ::getpwnam("nobody"); // NOLINT(concurrency-mt-unsafe)
        ASSERT_NE(nobody, nullptr);
        uid = nobody->pw_uid;
    }
    // The secret on the command line: the --config file is readable by root only.
    auto connect = sandbox_.azcmagent(
        {"connect", "--subscription-id", sandbox_.subscription(), "--resource-group", "arc-rg",
         "--location", "westeurope", "--resource-name", "m7", "--cloud-config",
         sandbox_.cloudJson().string(), "--service-principal-id", onboarder_.app_id,
         "--service-principal-secret", onboarder_.password, "--tenant-id", onboarder_.tenant},
        uid);
    EXPECT_EQ(connect.exit_code, 18) << connect.out << connect.err;
    EXPECT_NE((connect.out + connect.err).find("AZCM0018"), std::string::npos);
    EXPECT_TRUE(nothingWritten(sandbox_));
    auto show = sandbox_.azcmagent({"show"}, uid);
    EXPECT_EQ(show.exit_code, 0) << show.out << show.err;
    EXPECT_NE(show.out.find("Agent Status"), std::string::npos) << show.out;
    // Reading commands do not need root's log (log/ is root's alone): they run without it,
    // without a complaint.
    EXPECT_EQ(show.err.find("cannot open log file"), std::string::npos) << show.err;
    auto get = sandbox_.azcmagent({"config", "get", "extensions.enabled"}, uid);
    EXPECT_EQ(get.exit_code, 0) << get.out << get.err;
    EXPECT_EQ(get.err.find("cannot open log file"), std::string::npos) << get.err;
}

} // namespace
} // namespace azcm::test
