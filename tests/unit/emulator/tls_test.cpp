// The emulator behind the real TLS listener on loopback: SDK-style clients without a certificate
// and machines with one share the port.
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/http/http_server.hpp"
#include "common/http/https_client.hpp"
#include "emulator/server.hpp"
#include "emulator_fixture.hpp"

#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;

class TlsTest : public EmulatorFixture {
protected:
    void SetUp() override {
        auto tls = makeTlsContext(sharedPki());
        ASSERT_TRUE(tls);
        served_ = std::make_unique<Emulator>(*store_, sharedPki(), clock_.wall(), options_, "");
        server_ = std::make_unique<http::HttpServer>(
            io_.get_executor(),
            [this](http::Request&& request, const http::PeerInfo& peer, http::Respond respond) {
                respond(served_->handle(request, peer));
            });
        auto port = server_->listenTls("127.0.0.1", 0, tls.value());
        ASSERT_TRUE(port) << port.error().message;
        base_ = baseUrlFor("127.0.0.1", port.value());
        served_->setBaseUrl(base_);
        thread_ = std::thread([this] { io_.run(); });
    }

    void TearDown() override {
        if (thread_.joinable()) {
            boost::asio::post(io_, [this] { server_->stop(); });
            thread_.join();
        }
    }

    http::Response send(http::Verb method,
                        const std::string& path,
                        const std::string& body,
                        const std::string& token = {},
                        const std::string& client_cert = {},
                        const std::string& client_key = {}) {
        http::ClientOptions options;
        options.ca_file = sharedPki().ca_cert_path;
        options.retry.max_attempts = 1;
        if (!client_cert.empty()) {
            options.client_certificate_pem = client_cert;
            options.client_private_key_pem = client_key;
        }
        http::SimpleRequest request;
        request.method = method;
        request.url = base_ + path;
        request.body = body;
        request.headers.emplace_back("Content-Type", "application/json");
        if (!token.empty()) {
            request.headers.emplace_back("Authorization", "Bearer " + token);
        }
        auto response = http::HttpsClient(options).send(request);
        EXPECT_TRUE(response) << (response ? "" : response.error().message);
        return response ? std::move(response.value()) : http::Response{};
    }

    boost::asio::io_context io_;
    std::unique_ptr<Emulator> served_;
    std::unique_ptr<http::HttpServer> server_;
    std::thread thread_;
    std::string base_;
};

TEST_F(TlsTest, SdkClientsAndMachinesShareThePort) {
    const std::string form =
        "grant_type=client_credentials&client_id=" + settings_.bootstrap_app_id +
        "&client_secret=" + settings_.bootstrap_password +
        "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
    auto token_response =
        send(http::Verb::post, "/" + settings_.tenant_id + "/oauth2/v2.0/token", form);
    ASSERT_EQ(token_response.result_int(), 200) << token_response.body();
    const std::string token = parse(token_response)["access_token"];

    ASSERT_EQ(send(http::Verb::put, groupPath("rg1") + "?api-version=2021-04-01",
                   R"({"location":"westeurope"})", token)
                  .result_int(),
              201);
    const json machine{{"location", "westeurope"},
                       {"properties",
                        {{"clientPublicKey",
                          crypto::base64Encode(crypto::publicKeyDer(machineKeyPem()).value())}}}};
    ASSERT_EQ(send(http::Verb::put, machinePath("rg1", "m1") + "?api-version=" + kMachineVersion,
                   machine.dump(), token)
                  .result_int(),
              201);
    const json issue{{"resourceId", machinePath("rg1", "m1")},
                     {"csr", crypto::createCsrPem(machineKeyPem(), "m1").value()}};
    auto issued = send(http::Verb::post, "/his/machines/certificate", issue.dump(), token);
    ASSERT_EQ(issued.result_int(), 200) << issued.body();
    const std::string chain = parse(issued)["certificate"];

    auto anonymous = send(http::Verb::post, "/his/machines/heartbeat", "{}");
    EXPECT_EQ(anonymous.result_int(), 401);
    auto heartbeat =
        send(http::Verb::post, "/his/machines/heartbeat", "{}", {}, chain, machineKeyPem());
    ASSERT_EQ(heartbeat.result_int(), 200) << heartbeat.body();
    EXPECT_EQ(parse(heartbeat)["status"], "Connected");
}

} // namespace
} // namespace azcm::emulator::test
