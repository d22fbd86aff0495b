#include "common/http/http_server.hpp"
#include "common/ipc/himds_token_source.hpp"
#include "temp_dir.hpp"

#include <atomic>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

namespace azcm::ipc {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

// A himds control socket that hands out numbered tokens and records what it was asked.
class FakeHimds {
public:
    // `refusal`, when given: the body of a 403 answer to every request.
    explicit FakeHimds(std::chrono::seconds lifetime, std::string refusal = {})
        : lifetime_(lifetime), refusal_(std::move(refusal)) {
        server_ = std::make_unique<http::HttpServer>(
            io_.get_executor(),
            [this](http::Request&& request, const http::PeerInfo&, http::Respond respond) {
                if (!refusal_.empty()) {
                    respond(http::makeJsonResponse(request, http::Status::forbidden, refusal_));
                    return;
                }
                if (request.target() != "/identity/token") {
                    respond(http::makeJsonResponse(request, http::Status::not_found, "{}"));
                    return;
                }
                const auto body = json::parse(request.body());
                last_bypass_ = body.value("bypassCache", false);
                last_resource_ = body.value("resource", std::string());
                const int n = ++calls_;
                const auto expires = system_clock::now() + lifetime_;
                const auto seconds =
                    std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch())
                        .count();
                respond(http::makeJsonResponse(request, http::Status::ok,
                                               json{{"access_token", "token-" + std::to_string(n)},
                                                    {"expires_on", std::to_string(seconds)}}
                                                   .dump()));
            });
        EXPECT_TRUE(server_->listenLocal(socket(), 0600));
        thread_ = std::thread([this] { io_.run(); });
    }
    ~FakeHimds() {
        boost::asio::post(io_, [this] {
            server_->stop();
            guard_.reset();
        });
        thread_.join();
    }
    FakeHimds(const FakeHimds&) = delete;
    FakeHimds& operator=(const FakeHimds&) = delete;

    std::filesystem::path socket() const { return dir_.path() / "himds.sock"; }
    int calls() const { return calls_; }
    bool lastBypass() const { return last_bypass_; }
    std::string lastResource() const { return last_resource_; }

private:
    test::TempDir dir_;
    std::chrono::seconds lifetime_;
    std::string refusal_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
        io_.get_executor()};
    std::unique_ptr<http::HttpServer> server_;
    std::thread thread_;
    std::atomic<int> calls_{0};
    std::atomic<bool> last_bypass_{false};
    std::string last_resource_;
};

TEST(HimdsTokenSource, CachesUntilShortlyBeforeExpiry) {
    FakeHimds himds(std::chrono::hours(1));
    HimdsTokenSource tokens(himds.socket());
    auto first = tokens.token();
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first.value(), "token-1");
    EXPECT_EQ(himds.lastResource(), kAgentServiceResource);
    EXPECT_EQ(tokens.token().value(), "token-1");
    EXPECT_EQ(himds.calls(), 1);
}

TEST(HimdsTokenSource, ATokenAboutToExpireIsReplaced) {
    FakeHimds himds(std::chrono::seconds(100)); // inside the refresh margin
    HimdsTokenSource tokens(himds.socket());
    EXPECT_EQ(tokens.token().value(), "token-1");
    EXPECT_EQ(tokens.token().value(), "token-2");
}

TEST(HimdsTokenSource, InvalidateAsksHimdsToBypassItsCache) {
    FakeHimds himds(std::chrono::hours(1));
    HimdsTokenSource tokens(himds.socket());
    ASSERT_TRUE(tokens.token());
    EXPECT_FALSE(himds.lastBypass());
    tokens.invalidate();
    EXPECT_EQ(tokens.token().value(), "token-2");
    EXPECT_TRUE(himds.lastBypass());
    EXPECT_EQ(tokens.token().value(), "token-2");
}

TEST(HimdsTokenSource, NoHimdsIsAnError) {
    test::TempDir dir;
    HimdsTokenSource tokens(dir.path() / "absent.sock");
    auto token = tokens.token();
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, exitcode::kHimdsUnreachable);
}

TEST(TokenAnswer, RequiresTokenAndExpiry) {
    EXPECT_FALSE(parseTokenAnswer(json{{"access_token", "x"}}));
    EXPECT_FALSE(parseTokenAnswer(json{{"access_token", "x"}, {"expires_on", "soon"}}));
    EXPECT_FALSE(parseTokenAnswer(json{{"access_token", ""}, {"expires_on", "100"}}));
    auto parsed = parseTokenAnswer(json{{"access_token", "x"}, {"expires_on", "1800000000"}});
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed.value().expires_on,
              system_clock::time_point(std::chrono::seconds(1800000000)));
}

TEST(HimdsTokenSource, ARefusalWithFieldsOfTheWrongTypeIsAnErrorValue) {
    FakeHimds himds(std::chrono::hours(1), R"({"error": {"code": 5, "message": 6}})");
    HimdsTokenSource tokens(himds.socket());
    auto token = tokens.token();
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, exitcode::kTokenFailed);
    EXPECT_NE(token.error().message.find("field 'code': a string expected, got a number"),
              std::string::npos)
        << token.error().message;
}

TEST(TokenAnswer, ExpiryIsRangeChecked) {
    // Past 9999-12-31 a time_point's nanosecond count overflows.
    EXPECT_FALSE(parseTokenAnswer(json{{"access_token", "x"}, {"expires_on", "253402300800"}}));
    EXPECT_FALSE(
        parseTokenAnswer(json{{"access_token", "x"}, {"expires_on", "9223372036854775807"}}));
    EXPECT_FALSE(parseTokenAnswer(json{{"access_token", "x"}, {"expires_on", "0"}}));
    auto wrong = parseTokenAnswer(json{{"access_token", 5}, {"expires_on", "100"}});
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("field 'access_token'"), std::string::npos)
        << wrong.error().message;
}

} // namespace
} // namespace azcm::ipc
