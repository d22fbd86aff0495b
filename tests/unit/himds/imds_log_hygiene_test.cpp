// What the IMDS API writes to himds.log when any local user talks to it: nothing a caller chose
// before it has authenticated, caller fields cut to a few printable characters after, and no
// unbounded stream of lines from repeated failures (docs/imds.md, "Logging").
#include "common/fs/atomic_file.hpp"
#include "common/log/log.hpp"
#include "himds_harness.hpp"
#include "http_test_client.hpp"

#include <algorithm>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace {

using azcm::himds::ServiceReply;
using azcm::himds::test::Harness;
using azcm::himds::test::RecordedCall;
using azcm::http::Field;
using azcm::http::Status;
using azcm::http::Verb;
using nlohmann::json;

constexpr const char* kTarget =
    "/metadata/identity/oauth2/token?api-version=2019-11-01&resource=https://vault.azure.net";
// A caller-chosen field: a bidi override (U+202E), a tab, what looks like a log line, and 6 KB
// of filler. (HTTP itself refuses CR and LF in a header value.)
const std::string kHostileClientId = "app\xe2\x80\xae"
                                     "fdp.exe\t2026-01-01T00:00:00 info [himds] FORGED_EVENT " +
                                     std::string(6000, 'c');

class ImdsLogHygieneTest : public ::testing::Test {
protected:
    void SetUp() override {
        sink_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100000);
        auto logger = std::make_shared<spdlog::logger>("himds-capture", sink_);
        logger->set_level(spdlog::level::debug);
        spdlog::set_default_logger(logger);
        harness_.options().imds_rate_limits = false;
        harness_.fake().setResponder([](const RecordedCall& call) -> azcm::Result<ServiceReply> {
            if (call.route == "/machines/token") {
                return ServiceReply{503, json{{"error", {{"code", "Down"}, {"message", "down"}}}}};
            }
            return ServiceReply{200, json{{"status", "Connected"}}};
        });
        harness_.installIdentity();
        harness_.start();
        harness_.waitForStatus([](const json& s) { return s["agentStatus"] == "Connected"; });
    }

    void TearDown() override {
        harness_.stop();
        spdlog::set_default_logger(spdlog::stderr_color_mt("restored-" + std::to_string(++n_)));
    }

    // One request on `connection`, while the harness pumps the service.
    azcm::http::Response send(azcm::test::HttpTestConnection& connection,
                              const azcm::http::Request& request) {
        return harness_.whilePumping([&] { return connection.send(request); });
    }

    std::string log() {
        std::string text;
        for (const auto& line : sink_->last_formatted()) {
            text += line;
        }
        return text;
    }

    static std::size_t count(const std::string& text, const std::string& what) {
        std::size_t found = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
            ++found;
        }
        return found;
    }

    static azcm::http::Request tokenRequest() {
        azcm::http::Request request{Verb::get, kTarget, 11};
        request.set("Metadata", "true");
        request.set("Client-Id", kHostileClientId);
        return request;
    }

    static inline int n_ = 0;
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
    Harness harness_;
};

TEST_F(ImdsLogHygieneTest, NothingTheCallerChoseIsLoggedBeforeItAuthenticates) {
    azcm::test::HttpTestConnection connection("127.0.0.1", harness_.imdsPort());
    const auto challenge = send(connection, tokenRequest());
    ASSERT_EQ(challenge.result(), Status::unauthorized);
    auto wrong = tokenRequest();
    wrong.set(Field::authorization, "Basic " + std::string(64, '0'));
    ASSERT_EQ(send(connection, wrong).result(), Status::unauthorized);

    const auto text = log();
    EXPECT_EQ(text.find("IMDS_TOKEN_CLIENT"), std::string::npos) << text.substr(0, 2000);
    EXPECT_EQ(text.find("fdp.exe"), std::string::npos);
    EXPECT_EQ(text.find("FORGED_EVENT"), std::string::npos);
    EXPECT_EQ(text.find("ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"),
              std::string::npos);
}

TEST_F(ImdsLogHygieneTest, AfterAuthenticationTheClientIdIsCutToPrintableAscii) {
    azcm::test::HttpTestConnection connection("127.0.0.1", harness_.imdsPort());
    const auto challenge = send(connection, tokenRequest());
    ASSERT_EQ(challenge.result(), Status::unauthorized);
    const std::string realm(challenge[Field::www_authenticate]);
    const auto secret = azcm::fs::readFile(realm.substr(realm.find('=') + 1)).value();
    auto answer = tokenRequest();
    answer.set(Field::authorization, "Basic " + secret);
    send(connection, answer); // the fake control plane is down: a 500, logged as IMDS_TOKEN_FAILED

    const auto text = log();
    const auto at = text.find("IMDS_TOKEN_CLIENT clientId=");
    ASSERT_NE(at, std::string::npos) << text.substr(0, 2000);
    const auto value_at = at + std::string("IMDS_TOKEN_CLIENT clientId=").size();
    const auto value = text.substr(value_at, text.find(" peer=", value_at) - value_at);
    EXPECT_LE(value.size(), azcm::log::kCallerFieldChars) << value;
    EXPECT_EQ(value.substr(0, 15), "app\\xe2\\x80\\xae") << value;
    const auto line_end = text.find('\n', at);
    EXPECT_LT(line_end - at, 200U) << "a caller field reached the log uncut";
    EXPECT_EQ(std::count_if(text.begin(), text.end(),
                            [](char c) { return c != '\n' && (c < 0x20 || c >= 0x7f); }),
              0)
        << "raw control or non-ASCII bytes in the log";
    EXPECT_EQ(text.find("FORGED_EVENT"), std::string::npos);
}

TEST_F(ImdsLogHygieneTest, AFloodOfWrongSecretsLeavesAFewLines) {
    azcm::test::HttpTestConnection connection("127.0.0.1", harness_.imdsPort());
    auto wrong = tokenRequest();
    wrong.set(Field::authorization, "Basic " + std::string(64, 'f'));
    for (int i = 0; i < 300; ++i) {
        ASSERT_EQ(send(connection, wrong).result(), Status::unauthorized) << i;
    }
    // Malformed requests too (no Metadata header): rejected, and rate limited in the log.
    azcm::http::Request bare{Verb::get, kTarget, 11};
    for (int i = 0; i < 300; ++i) {
        ASSERT_EQ(send(connection, bare).result(), Status::bad_request) << i;
    }
    const auto text = log();
    EXPECT_LE(count(text, "IMDS_CHALLENGE_REFUSED"), 10U);
    EXPECT_GE(count(text, "IMDS_CHALLENGE_REFUSED"), 1U);
    EXPECT_LE(count(text, "IMDS_REJECTED"), 10U);
}

} // namespace
