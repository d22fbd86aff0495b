// The IMDS REST API of himds over real TCP: instance metadata, the token challenge and its
// failures, cached tokens, rate limits (docs/imds.md). The identity service is a fake.
#include "common/clock.hpp"
#include "common/fs/atomic_file.hpp"
#include "himds_harness.hpp"
#include "http_test_client.hpp"

#include <atomic>
#include <regex>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace {

using azcm::himds::ServiceReply;
using azcm::himds::test::Harness;
using azcm::himds::test::RecordedCall;
using azcm::http::Field;
using azcm::http::Status;
using azcm::http::Verb;
using azcm::test::Headers;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kVault = "https://vault.azure.net";
const Headers kMetadata{{"Metadata", "true"}};

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class ImdsApiTest : public ::testing::Test {
protected:
    Harness harness_;
    std::atomic<int> upstream_status_{200};
    azcm::ManualClock challenge_time_;

    void SetUp() override {
        harness_.options().challenge_clock = challenge_time_.steady();
        harness_.fake().setResponder([this](
                                         const RecordedCall& call) -> azcm::Result<ServiceReply> {
            if (call.route == "/machines/token") {
                if (upstream_status_ != 200) {
                    return ServiceReply{static_cast<unsigned>(upstream_status_.load()),
                                        json{{"error", {{"code", "Down"}, {"message", "down"}}}}};
                }
                const auto now = unixNow();
                return ServiceReply{
                    200,
                    json{{"access_token", "token-for-" + call.body["resource"].get<std::string>()},
                         {"expires_in", "86400"},
                         {"expires_on", std::to_string(now + 86400)},
                         {"not_before", std::to_string(now)},
                         {"resource", call.body["resource"]},
                         {"token_type", "Bearer"},
                         {"client_id", "client-1"},
                         {"object_id", "principal-1"}}};
            }
            return ServiceReply{200, json{{"status", "Connected"},
                                          {"vmId", "vm-synced"},
                                          {"location", "northeurope"},
                                          {"tags", {{"env", "synced"}}}}};
        });
    }

    void startConnected() {
        harness_.installIdentity();
        harness_.start();
        harness_.waitForStatus([](const json& s) { return s["agentStatus"] == "Connected"; });
    }

    std::uint16_t port() const { return harness_.imdsPort(); }

    // The test clients, run while the harness pumps the service.
    azcm::http::Response httpGet(std::uint16_t to,
                                 const std::string& target,
                                 const azcm::test::Headers& headers,
                                 const std::string& address = "127.0.0.1") {
        return harness_.whilePumping(
            [&] { return azcm::test::httpGet(to, target, headers, address); });
    }
    azcm::test::TokenExchange imdsTokenExchange(std::uint16_t to,
                                                const std::string& resource,
                                                const std::string& api_version = "2019-11-01",
                                                const std::string& extra_query = {}) {
        return harness_.whilePumping(
            [&] { return azcm::test::imdsTokenExchange(to, resource, api_version, extra_query); });
    }
    azcm::http::Response send(azcm::test::HttpTestConnection& connection,
                              const azcm::http::Request& request) {
        return harness_.whilePumping([&] { return connection.send(request); });
    }
    std::string tokenTarget(const std::string& extra = {}) const {
        std::string target("/metadata/identity/oauth2/token?api-version=2019-11-01&resource=");
        return target.append(kVault).append(extra);
    }
    std::size_t keyFiles() const {
        std::size_t count = 0;
        for (const auto& entry :
             std::filesystem::directory_iterator(harness_.paths().tokensDir())) {
            count += entry.path().extension() == ".key" ? 1 : 0;
        }
        return count;
    }
};

TEST_F(ImdsApiTest, NotConnectedSaysSoAndCreatesNoKeyFile) {
    harness_.start();
    const auto metadata = httpGet(port(), "/metadata/instance?api-version=2020-06-01", kMetadata);
    EXPECT_EQ(metadata.result(), Status::not_found);
    EXPECT_EQ(json::parse(metadata.body())["error"], "not_connected");
    const auto token = httpGet(port(), tokenTarget(), kMetadata);
    EXPECT_EQ(token.result(), Status::bad_request);
    EXPECT_NE(
        json::parse(token.body())["error_description"].get<std::string>().find("not connected"),
        std::string::npos);
    EXPECT_EQ(keyFiles(), 0U);
}

TEST_F(ImdsApiTest, ChallengeThenTokenAsTheSpecDescribes) {
    startConnected();
    const auto exchange = imdsTokenExchange(port(), kVault);
    ASSERT_EQ(exchange.challenge.result(), Status::unauthorized) << exchange.challenge.body();
    const std::string header(exchange.challenge[Field::www_authenticate]);
    const std::string tokens = harness_.paths().tokensDir().string();
    // Unquoted, nothing after the path, one '=' only.
    EXPECT_TRUE(
        std::regex_match(header, std::regex("Basic realm=" + tokens + "/[0-9a-f-]{36}\\.key")))
        << header;
    EXPECT_EQ(std::count(header.begin(), header.end(), '='), 1);
    EXPECT_EQ(std::filesystem::path(exchange.key_path).parent_path(), tokens);

    ASSERT_EQ(exchange.answer.result(), Status::ok) << exchange.answer.body();
    EXPECT_EQ(exchange.answer[Field::cache_control], "no-store");
    const auto body = json::parse(exchange.answer.body());
    for (const auto& [key, value] : body.items()) {
        EXPECT_TRUE(value.is_string()) << key;
    }
    EXPECT_EQ(body["access_token"], std::string("token-for-") + kVault);
    EXPECT_EQ(body["resource"], kVault);
    EXPECT_EQ(body["token_type"], "Bearer");
    EXPECT_EQ(body["client_id"], "client-1");
    EXPECT_EQ(body["object_id"], "principal-1");
    EXPECT_GT(std::stol(body["expires_in"].get<std::string>()), 86000);
    // Single use: the file is gone once redeemed.
    EXPECT_FALSE(std::filesystem::exists(exchange.key_path));
    EXPECT_EQ(harness_.fake().count("/machines/token"), 1U);
}

TEST_F(ImdsApiTest, KeyFileIsPrivateHexAndSmall) {
    startConnected();
    const auto challenge = httpGet(port(), tokenTarget(), kMetadata);
    ASSERT_EQ(challenge.result(), Status::unauthorized);
    const std::string header(challenge[Field::www_authenticate]);
    const std::string path = header.substr(header.find('=') + 1);
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0640U);
    EXPECT_LE(st.st_size, 4096);
    const auto content = azcm::fs::readFile(path).value();
    EXPECT_TRUE(std::regex_match(content, std::regex("[0-9a-f]{64}"))) << content;
}

TEST_F(ImdsApiTest, TokensAreCachedAndBypassCacheFetchesAgain) {
    startConnected();
    ASSERT_EQ(imdsTokenExchange(port(), kVault).answer.result(), Status::ok);
    ASSERT_EQ(imdsTokenExchange(port(), kVault + std::string("/")).answer.result(), Status::ok);
    EXPECT_EQ(harness_.fake().count("/machines/token"), 1U);
    ASSERT_EQ(imdsTokenExchange(port(), kVault, "2020-06-01", "&bypass_cache=true").answer.result(),
              Status::ok);
    EXPECT_EQ(harness_.fake().count("/machines/token"), 2U);
    ASSERT_EQ(
        imdsTokenExchange(port(), "https://management.azure.com/", "2021-02-01").answer.result(),
        Status::ok);
    EXPECT_EQ(harness_.fake().count("/machines/token"), 3U);
}

struct ChallengeFailure {
    const char* name;
    // Builds the Authorization header from the secret of an issued challenge.
    std::function<std::string(const std::string& secret)> authorization;
};

class ImdsChallengeFailureTest : public ImdsApiTest,
                                 public ::testing::WithParamInterface<ChallengeFailure> {};

TEST_P(ImdsChallengeFailureTest, GetsA401AndNothingElse) {
    startConnected();
    const auto challenge = httpGet(port(), tokenTarget(), kMetadata);
    ASSERT_EQ(challenge.result(), Status::unauthorized);
    const std::string header(challenge[Field::www_authenticate]);
    const auto secret = azcm::fs::readFile(header.substr(header.find('=') + 1)).value();
    const auto files_before = keyFiles();

    Headers headers = kMetadata;
    headers.emplace_back("Authorization", GetParam().authorization(secret));
    const auto answer = httpGet(port(), tokenTarget(), headers);
    EXPECT_EQ(answer.result(), Status::unauthorized);
    EXPECT_EQ(answer.find(Field::www_authenticate), answer.end());
    EXPECT_EQ(answer.body().find("access_token"), std::string::npos);
    EXPECT_EQ(json::parse(answer.body())["error"], "invalid_client");
    EXPECT_EQ(keyFiles(), files_before);
    EXPECT_EQ(harness_.fake().count("/machines/token"), 0U);
}

INSTANTIATE_TEST_SUITE_P(
    Secrets,
    ImdsChallengeFailureTest,
    ::testing::Values(
        ChallengeFailure{"wrong_secret",
                         [](const std::string& secret) {
                             std::string wrong = secret;
                             wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
                             return "Basic " + wrong;
                         }},
        ChallengeFailure{"truncated_secret",
                         [](const std::string& secret) {
                             return "Basic " + secret.substr(0, secret.size() - 1);
                         }},
        ChallengeFailure{"secret_with_newline",
                         [](const std::string& secret) { return "Basic " + secret + " x"; }},
        ChallengeFailure{"bearer_scheme",
                         [](const std::string& secret) { return "Bearer " + secret; }},
        ChallengeFailure{"no_scheme", [](const std::string& secret) { return secret; }},
        ChallengeFailure{"empty_secret", [](const std::string&) { return std::string("Basic "); }},
        ChallengeFailure{"base64_of_secret",
                         [](const std::string&) { return std::string("Basic YWJjOmRlZg=="); }}),
    [](const ::testing::TestParamInfo<ChallengeFailure>& row) { return row.param.name; });

TEST_F(ImdsApiTest, ReusedSecretIsRefused) {
    startConnected();
    azcm::test::HttpTestConnection connection("127.0.0.1", port());
    azcm::http::Request first{Verb::get, tokenTarget(), 11};
    first.set("Metadata", "true");
    const auto challenge = send(connection, first);
    const std::string header(challenge[Field::www_authenticate]);
    const auto secret = azcm::fs::readFile(header.substr(header.find('=') + 1)).value();
    auto second = first;
    second.set(Field::authorization, "Basic " + secret);
    EXPECT_EQ(send(connection, second).result(), Status::ok);
    const auto replay = send(connection, second);
    EXPECT_EQ(replay.result(), Status::unauthorized);
    EXPECT_EQ(replay.body().find("access_token"), std::string::npos);
    EXPECT_EQ(harness_.fake().count("/machines/token"), 1U);
}

TEST_F(ImdsApiTest, ExpiredSecretIsRefusedAndItsFileRemoved) {
    startConnected();
    const auto challenge = httpGet(port(), tokenTarget(), kMetadata);
    const std::string header(challenge[Field::www_authenticate]);
    const std::string path = header.substr(header.find('=') + 1);
    const auto secret = azcm::fs::readFile(path).value();
    challenge_time_.advance(61s);
    Headers headers = kMetadata;
    headers.emplace_back("Authorization", "Basic " + secret);
    const auto answer = httpGet(port(), tokenTarget(), headers);
    EXPECT_EQ(answer.result(), Status::unauthorized);
    EXPECT_EQ(answer.body().find("access_token"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(ImdsApiTest, UnsafeTokensDirectoryGetsNoChallenge) {
    startConnected();
    const auto tokens = harness_.paths().tokensDir();
    ASSERT_EQ(::chmod(tokens.c_str(), 0757), 0); // writable by others
    const auto answer = httpGet(port(), tokenTarget(), kMetadata);
    EXPECT_EQ(answer.result(), Status::internal_server_error);
    EXPECT_EQ(answer.find(Field::www_authenticate), answer.end());
    EXPECT_EQ(keyFiles(), 0U);
    ASSERT_EQ(::chmod(tokens.c_str(), 0750), 0);
    EXPECT_EQ(httpGet(port(), tokenTarget(), kMetadata).result(), Status::unauthorized);
}

TEST_F(ImdsApiTest, UserAssignedAndBadQueriesAreRefusedBeforeAChallenge) {
    startConnected();
    for (const std::string extra : {"&client_id=abc", "&object_id=abc", "&msi_res_id=/x",
                                    "&mi_res_id=/x", "&bypass_cache=maybe"}) {
        const auto answer = httpGet(port(), tokenTarget(extra), kMetadata);
        EXPECT_EQ(answer.result(), Status::bad_request) << extra;
    }
    EXPECT_EQ(httpGet(port(), "/metadata/identity/oauth2/token?api-version=2019-11-01", kMetadata)
                  .result(),
              Status::bad_request);
    EXPECT_EQ(keyFiles(), 0U);
}

TEST_F(ImdsApiTest, UpstreamFailureWithoutCachedTokenIsA500) {
    startConnected();
    upstream_status_ = 503;
    const auto exchange = imdsTokenExchange(port(), kVault);
    EXPECT_EQ(exchange.answer.result(), Status::internal_server_error);
    EXPECT_EQ(json::parse(exchange.answer.body())["error"], "upstream_unavailable");
    upstream_status_ = 400;
    const auto refused = imdsTokenExchange(port(), "https://storage.azure.com/");
    EXPECT_EQ(refused.answer.result(), Status::bad_request);
}

TEST_F(ImdsApiTest, InstanceMetadataWholeSubtreeAndLeaf) {
    startConnected();
    const auto whole = httpGet(port(), "/metadata/instance?api-version=2020-06-01", kMetadata);
    ASSERT_EQ(whole.result(), Status::ok) << whole.body();
    const auto document = json::parse(whole.body());
    EXPECT_EQ(document["compute"]["name"], "web01");
    EXPECT_EQ(document["compute"]["vmId"], "vm-synced");
    EXPECT_EQ(document["compute"]["location"], "northeurope");
    EXPECT_EQ(document["compute"]["tags"], "env:synced");
    EXPECT_EQ(document["network"], json::object());

    const auto compute =
        httpGet(port(), "/metadata/instance/compute?api-version=2021-02-01", kMetadata);
    ASSERT_EQ(compute.result(), Status::ok);
    EXPECT_EQ(json::parse(compute.body()), document["compute"]);

    const auto leaf = httpGet(
        port(), "/metadata/instance/compute/resourceGroupName?api-version=2021-02-01&format=text",
        kMetadata);
    ASSERT_EQ(leaf.result(), Status::ok);
    EXPECT_EQ(leaf.body(), "rg");
    EXPECT_EQ(
        httpGet(port(), "/metadata/instance/compute/nothing?api-version=2021-02-01", kMetadata)
            .result(),
        Status::not_found);
    EXPECT_EQ(
        httpGet(port(), "/metadata/instance?api-version=2020-06-01&format=xml", kMetadata).result(),
        Status::bad_request);
}

TEST_F(ImdsApiTest, MetadataAnswersWhileTheControlPlaneIsUnreachable) {
    harness_.fake().setResponder([](const RecordedCall&) -> azcm::Result<ServiceReply> {
        return azcm::makeError(azcm::exitcode::kGeneric, "connection refused");
    });
    harness_.installIdentity();
    harness_.start();
    ASSERT_TRUE(harness_.waitForCalls("/machines/heartbeat", 1, 20s));
    const auto whole = httpGet(port(), "/metadata/instance?api-version=2020-06-01", kMetadata);
    ASSERT_EQ(whole.result(), Status::ok);
    EXPECT_EQ(json::parse(whole.body())["compute"]["location"], "westeurope");
}

TEST_F(ImdsApiTest, HygieneOverTheWireAndKeepAlive) {
    harness_.start();
    azcm::test::HttpTestConnection connection("127.0.0.1", port());
    azcm::http::Request no_header{Verb::get, "/metadata/versions", 11};
    const auto refused = send(connection, no_header);
    EXPECT_EQ(refused.result(), Status::bad_request);
    EXPECT_TRUE(refused.keep_alive());
    azcm::http::Request post{Verb::post, "/metadata/versions", 11};
    post.set("Metadata", "true");
    const auto not_allowed = send(connection, post);
    EXPECT_EQ(not_allowed.result(), Status::method_not_allowed);
    EXPECT_EQ(not_allowed[Field::allow], "GET");
    azcm::http::Request versions{Verb::get, "/metadata/versions", 11};
    versions.set("Metadata", "true");
    const auto listed = send(connection, versions);
    ASSERT_EQ(listed.result(), Status::ok);
    EXPECT_EQ(json::parse(listed.body())["apiVersions"].size(), 7U);
    azcm::http::Request forwarded = versions;
    forwarded.set("X-Forwarded-For", "203.0.113.9");
    EXPECT_EQ(send(connection, forwarded).result(), Status::bad_request);
}

TEST_F(ImdsApiTest, OversizedHeadersAreRefused) {
    harness_.start();
    Headers headers = kMetadata;
    headers.emplace_back("X-Padding", std::string(16 * 1024, 'a'));
    bool refused = false;
    try {
        const auto answer = httpGet(port(), "/metadata/versions", headers);
        refused = answer.result() == Status::request_header_fields_too_large ||
                  answer.result() == Status::bad_request;
    } catch (const std::exception&) {
        refused = true; // the server closed the connection
    }
    EXPECT_TRUE(refused);
}

TEST_F(ImdsApiTest, ListensOnIpv6LoopbackToo) {
    harness_.start();
    const auto status = harness_.callJson(Verb::get, "/status");
    EXPECT_EQ(status["imds"]["port"], port());
    const auto& addresses = status["imds"]["addresses"];
    ASSERT_GE(addresses.size(), 1U);
    EXPECT_EQ(addresses[0], "127.0.0.1:" + std::to_string(port()));
    if (addresses.size() < 2) {
        GTEST_SKIP() << "no IPv6 on loopback here";
    }
    const auto answer = httpGet(port(), "/metadata/versions", kMetadata, "::1");
    EXPECT_EQ(answer.result(), Status::ok);
}

TEST_F(ImdsApiTest, IdentityRouteIsRateLimitedWith429AndRetryAfter) {
    startConnected();
    int challenged = 0;
    int limited = 0;
    azcm::test::HttpTestConnection connection("127.0.0.1", port());
    for (int i = 0; i < 40; ++i) {
        azcm::http::Request request{Verb::get, tokenTarget(), 11};
        request.set("Metadata", "true");
        const auto answer = send(connection, request);
        if (answer.result() == Status::unauthorized) {
            ++challenged;
        } else if (answer.result() == Status::too_many_requests) {
            ++limited;
            EXPECT_GE(std::stoi(std::string(answer[Field::retry_after])), 1);
            EXPECT_EQ(json::parse(answer.body())["error"], "too_many_requests");
        } else {
            ADD_FAILURE() << "unexpected " << answer.result_int();
        }
    }
    // One caller uid: its own burst, half of its group's (docs/imds.md).
    EXPECT_GE(challenged, 10);
    EXPECT_GE(limited, 1);
    EXPECT_EQ(challenged + limited, 40);
}

TEST_F(ImdsApiTest, RateLimitsCanBeTurnedOff) {
    harness_.options().imds_rate_limits = false;
    startConnected();
    azcm::test::HttpTestConnection connection("127.0.0.1", port());
    for (int i = 0; i < 60; ++i) {
        azcm::http::Request request{Verb::get, tokenTarget(), 11};
        request.set("Metadata", "true");
        ASSERT_EQ(send(connection, request).result(), Status::unauthorized) << i;
    }
}

TEST_F(ImdsApiTest, ServicesGetTokensAndIdentityOverTheSocket) {
    startConnected();
    const auto token = harness_.call(Verb::post, "/identity/token",
                                     json{{"resource", "https://management.azure.com/"}}.dump());
    ASSERT_EQ(token.result(), Status::ok) << token.body();
    EXPECT_EQ(json::parse(token.body())["access_token"], "token-for-https://management.azure.com");
    for (const char* bad : {"{}", R"({"resource": ""})", R"({"resource": "https://x/ y"})",
                            R"({"resource": "https://vault.azure.net", "bypassCache": "yes"})"}) {
        EXPECT_EQ(harness_.call(Verb::post, "/identity/token", bad).result(), Status::bad_request)
            << bad;
    }
    EXPECT_EQ(harness_.fake().count("/machines/token"), 1U);
    const auto identity = harness_.callJson(Verb::get, "/identity");
    EXPECT_EQ(identity["resourceName"], "web01");
    EXPECT_EQ(identity["vmId"], "vm-synced");
}

} // namespace
