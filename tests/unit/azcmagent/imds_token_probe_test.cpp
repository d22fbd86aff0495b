#include "azcmagent/imds_token_probe.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/http/http_server.hpp"
#include "io_thread.hpp"
#include "temp_dir.hpp"

#include <memory>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

namespace stdfs = std::filesystem;

constexpr std::string_view kResource = "https://management.azure.com/";

// An IMDS token endpoint that names `realm` in its challenge and issues a token for "Basic
// <secret>"; it records every Authorization it receives.
class FakeImds {
public:
    FakeImds(std::string realm, std::string secret, std::string token_body)
        : realm_(std::move(realm)), secret_(std::move(secret)), body_(std::move(token_body)) {
        server_ = std::make_unique<http::HttpServer>(
            io_.executor(), [this](http::Request&& request, const http::PeerInfo&,
                                   const http::Respond& respond) { answer(request, respond); });
        auto port = io_.run([this] { return server_->listenTcp("127.0.0.1", 0); });
        EXPECT_TRUE(port) << (port ? "" : port.error().message);
        port_ = port ? port.value() : 0;
    }
    ~FakeImds() {
        io_.run([this] { server_->stop(); });
    }
    FakeImds(const FakeImds&) = delete;
    FakeImds& operator=(const FakeImds&) = delete;
    FakeImds(FakeImds&&) = delete;
    FakeImds& operator=(FakeImds&&) = delete;

    std::uint16_t port() const { return port_; }
    std::vector<std::string> authorizations() const {
        const std::lock_guard lock(mutex_);
        return authorizations_;
    }

private:
    void answer(const http::Request& request, const http::Respond& respond) {
        const auto authorization = request.find(http::Field::authorization);
        if (authorization == request.end() || request["Metadata"] != "true") {
            auto response = http::makeJsonResponse(request, http::Status::unauthorized, "{}");
            response.set(http::Field::www_authenticate, "Basic realm=" + realm_);
            respond(std::move(response));
            return;
        }
        const std::string presented(authorization->value());
        {
            const std::lock_guard lock(mutex_);
            authorizations_.push_back(presented);
        }
        respond(http::makeJsonResponse(request,
                                       presented == "Basic " + secret_ ? http::Status::ok
                                                                       : http::Status::unauthorized,
                                       body_));
    }

    std::string realm_;
    std::string secret_;
    std::string body_;
    mutable std::mutex mutex_;
    std::vector<std::string> authorizations_;
    http::test::IoThread io_;
    std::unique_ptr<http::HttpServer> server_;
    std::uint16_t port_ = 0;
};

class ImdsTokenProbeTest : public ::testing::Test {
protected:
    void SetUp() override {
        tokens_ = temp_.path() / "tokens";
        stdfs::create_directories(tokens_);
    }
    azcm::test::TempDir temp_;
    stdfs::path tokens_;
};

TEST_F(ImdsTokenProbeTest, ObtainsATokenThroughTheChallenge) {
    ASSERT_TRUE(fs::writeFileAtomic(tokens_ / "4f1c.key", "s3cret-of-the-challenge"));
    FakeImds imds((tokens_ / "4f1c.key").string(), "s3cret-of-the-challenge",
                  R"({"access_token":"eyJ0","expires_in":"3600"})");
    const auto probed = probeImdsToken(imds.port(), tokens_, kResource, std::chrono::seconds(10));
    ASSERT_TRUE(probed) << probed.error().message;
    EXPECT_EQ(imds.authorizations(), std::vector<std::string>{"Basic s3cret-of-the-challenge"});
}

// A listener other than himds cannot make a privileged caller send it another file.
TEST_F(ImdsTokenProbeTest, ARealmOutsideTheTokensDirectoryIsNeverRead) {
    ASSERT_TRUE(fs::writeFileAtomic(temp_.path() / "shadow.key", "root-only-secret"));
    FakeImds imds((tokens_ / ".." / "shadow.key").string(), "root-only-secret",
                  R"({"access_token":"eyJ0"})");
    const auto probed = probeImdsToken(imds.port(), tokens_, kResource, std::chrono::seconds(10));
    ASSERT_FALSE(probed);
    EXPECT_NE(probed.error().message.find("outside the tokens directory"), std::string::npos)
        << probed.error().message;
    EXPECT_TRUE(imds.authorizations().empty());
}

TEST_F(ImdsTokenProbeTest, AnAnswerWithoutATokenFails) {
    ASSERT_TRUE(fs::writeFileAtomic(tokens_ / "a.key", "secret-a"));
    FakeImds imds((tokens_ / "a.key").string(), "secret-a", R"({"token_type":"Bearer"})");
    const auto probed = probeImdsToken(imds.port(), tokens_, kResource, std::chrono::seconds(10));
    ASSERT_FALSE(probed);
    EXPECT_NE(probed.error().message.find("without an access token"), std::string::npos)
        << probed.error().message;
}

TEST_F(ImdsTokenProbeTest, ARefusedSecretFails) {
    ASSERT_TRUE(fs::writeFileAtomic(tokens_ / "b.key", "not-what-imds-issued"));
    FakeImds imds((tokens_ / "b.key").string(), "secret-b", R"({"access_token":"eyJ0"})");
    const auto probed = probeImdsToken(imds.port(), tokens_, kResource, std::chrono::seconds(10));
    ASSERT_FALSE(probed);
    EXPECT_NE(probed.error().message.find("answered 401"), std::string::npos)
        << probed.error().message;
}

TEST(ChallengeKeyFile, AcceptsOnlyAKeyFileDirectlyInTheTokensDirectory) {
    const stdfs::path tokens = "/var/opt/azcmagent/tokens";
    const auto accepted =
        challengeKeyFile("Basic realm=/var/opt/azcmagent/tokens/0a1b.key", tokens);
    ASSERT_TRUE(accepted) << accepted.error().message;
    EXPECT_EQ(accepted.value(), tokens / "0a1b.key");
    for (const char* refused : {
             "Basic realm=/etc/shadow",
             "Basic realm=/var/opt/azcmagent/tokens/../agentconfig.key",
             "Basic realm=/var/opt/azcmagent/tokens/sub/0a1b.key",
             "Basic realm=/var/opt/azcmagent/tokens/0a1b.txt",
             "Basic realm=/var/opt/azcmagent/tokens/.key",
             "Basic realm=/var/opt/azcmagent/tokens/",
             "Bearer realm=/var/opt/azcmagent/tokens/0a1b.key",
             "",
         }) {
        EXPECT_FALSE(challengeKeyFile(refused, tokens)) << refused;
    }
}

} // namespace
} // namespace azcm::azcmagent
