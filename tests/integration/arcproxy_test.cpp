// The shipped arcproxy in a sandbox: an HTTPS client reaches the emulator through it with TLS
// verified end to end, a reload switches it to an upstream proxy (credentials used, never shown),
// cloud metadata addresses are refused, and only root may reload it. With an upstream proxy that
// records every request it is sent: what the policy refuses never reaches it (so never carries
// the credentials), pipelined requests are checked one by one, and the allow-list follows the
// connected cloud and the destinations extservice publishes.
#include "common/config/agent_config.hpp"
#include "common/config/extension_destinations.hpp"
#include "common/http/https_client.hpp"
#include "common/http/url.hpp"
#include "common/ipc/control_access.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/accounts.hpp"
#include "forward_proxy.hpp"
#include "http_test_client.hpp"
#include "sandbox.hpp"
#include "socket_caller.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct ArcproxySandbox {
    Sandbox sandbox;
    std::uint16_t port = 0;

    ArcproxySandbox() {
        sandbox.startEmulator();
        // The directories as the package lays them out (0755), so other users reach the socket.
        sandbox.writeLocalConfig(nlohmann::json::object());
        sandbox.startDaemon("arcproxy", {{"AZCM_PROXY_PORT", "0"}});
        port = sandbox.daemonStatus("arcproxy").at("proxy").at("port").get<std::uint16_t>();
    }
    std::string proxyUrl() const { return "http://127.0.0.1:" + std::to_string(port); }
    Result<http::Response> getOpenIdConfiguration() const {
        http::ClientOptions options;
        options.ca_file = sandbox.cloud().at("caCertPath").get<std::string>();
        options.proxy_url = proxyUrl();
        options.retry.max_attempts = 1;
        http::HttpsClient client(options);
        http::SimpleRequest request;
        request.url = sandbox.cloud().at("endpoints").at("entra").get<std::string>() + "/" +
                      sandbox.tenant() + "/v2.0/.well-known/openid-configuration";
        return client.send(request);
    }
    Result<http::Response> reload() const {
        return ipc::call(Paths(sandbox.root()).socketFor("arcproxy"), http::Verb::post, "/reload",
                         "{}", 5s);
    }
    // proxy.url with credentials agent:s3cret, in force after the reload.
    void useUpstream(const ForwardProxy& upstream) const {
        sandbox.writeLocalConfig(json{
            {"proxy.url", "http://agent:s3cret@127.0.0.1:" + std::to_string(upstream.port())}});
        auto reloaded = reload();
        ASSERT_TRUE(reloaded) << reloaded.error().message;
        ASSERT_EQ(reloaded.value().result_int(), 200) << reloaded.value().body();
    }
    // A CONNECT on a fresh connection: the head of arcproxy's answer.
    std::string connectAnswer(const std::string& authority) const {
        boost::asio::io_context io;
        boost::asio::ip::tcp::socket socket(io);
        socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        const auto head = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n";
        boost::asio::write(socket, boost::asio::buffer(head));
        std::string answer;
        boost::system::error_code ec;
        const auto size =
            boost::asio::read_until(socket, boost::asio::dynamic_buffer(answer), "\r\n\r\n", ec);
        return answer.substr(0, size);
    }
};

constexpr const char* kCredentials = "Proxy-Authorization: Basic YWdlbnQ6czNjcmV0";

TEST(ArcproxyTest, ForwardsToTheControlPlaneWithTlsVerifiedEndToEnd) {
    ArcproxySandbox proxy;
    auto response = proxy.getOpenIdConfiguration();
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result_int(), 200);
    // Counted when the tunnel closes, which follows the response.
    EXPECT_TRUE(waitUntil(
        [&] {
            return proxy.sandbox.daemonStatus("arcproxy")["connections"].value("forwarded", 0) == 1;
        },
        5s));
    const auto status = proxy.sandbox.daemonStatus("arcproxy");
    EXPECT_EQ(status.at("proxy").at("upstream"), "");
    EXPECT_TRUE(status.at("cpu").empty()) << "arcproxy is never capped";
    EXPECT_NE(proxy.sandbox.readLog("var/opt/azcmagent/log/arcproxy.log").find("PROXY_FORWARD"),
              std::string::npos);
}

TEST(ArcproxyTest, ReloadSwitchesToTheUpstreamProxyWithItsCredentials) {
    ArcproxySandbox proxy;
    ForwardProxy::Options upstream_options;
    upstream_options.required_authorization = "Basic YWdlbnQ6czNjcmV0"; // agent:s3cret
    ForwardProxy upstream(upstream_options);
    proxy.sandbox.writeLocalConfig(
        json{{"proxy.url", "http://agent:s3cret@127.0.0.1:" + std::to_string(upstream.port())}});
    auto reloaded = proxy.reload();
    ASSERT_TRUE(reloaded) << reloaded.error().message;
    ASSERT_EQ(reloaded.value().result_int(), 200) << reloaded.value().body();
    EXPECT_EQ(reloaded.value().body().find("s3cret"), std::string::npos);

    auto response = proxy.getOpenIdConfiguration();
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result_int(), 200);
    EXPECT_EQ(upstream.connects(), 1);
    const auto status = proxy.sandbox.daemonStatus("arcproxy");
    EXPECT_EQ(status.at("proxy").at("upstream"),
              "http://***@127.0.0.1:" + std::to_string(upstream.port()));
    EXPECT_EQ(proxy.sandbox.readLog("var/opt/azcmagent/log/arcproxy.log").find("s3cret"),
              std::string::npos);

    // proxy.bypass Arc: direct again after the next reload.
    proxy.sandbox.writeLocalConfig(
        json{{"proxy.url", "http://agent:s3cret@127.0.0.1:" + std::to_string(upstream.port())},
             {"proxy.bypass", {"Arc"}}});
    ASSERT_TRUE(proxy.reload());
    ASSERT_TRUE(proxy.getOpenIdConfiguration());
    EXPECT_EQ(upstream.connects(), 1);
}

TEST(ArcproxyTest, CloudMetadataAddressIsRefused) {
    ArcproxySandbox proxy;
    http::ClientOptions options;
    options.proxy_url = proxy.proxyUrl();
    options.retry.max_attempts = 1;
    http::HttpsClient client(options);
    http::SimpleRequest request;
    request.url = "https://169.254.169.254/metadata/instance";
    auto response = client.send(request);
    ASSERT_FALSE(response);
    EXPECT_NE(response.error().message.find("403"), std::string::npos) << response.error().message;
    EXPECT_TRUE(waitUntil(
        [&] {
            return proxy.sandbox.daemonStatus("arcproxy")["connections"].value("refused", 0) == 1;
        },
        5s));
}

// A local user with the proxy's port tries every way to a local service or a metadata service,
// and to places the agent never goes: each is refused, and the upstream proxy (which would attach
// the administrator's credentials for them) never hears of it.
TEST(ArcproxyTest, WithAnUpstreamProxyRefusedDestinationsNeverReachIt) {
    ArcproxySandbox proxy;
    ForwardProxy upstream;
    proxy.useUpstream(upstream);
    // Loopback addresses are the sandbox's exception (the emulator lives there); names for them
    // are not, and the unit tests cover loopback under every spelling with production rules.
    const std::vector<std::string> tunnels = {
        "localhost:443",      "metadata.google.internal:80", "169.254.169.254:80",
        "2852039166:80",      "0xa9.0xfe.0xa9.0xfe:80",      "[::ffff:169.254.169.254]:80",
        "[fd00:ec2::254]:80", "100.100.100.200:80",          "[64:ff9b::a9fe:a9fe]:80",
        "example.com:443",    "www.example.org:443",
    };
    const std::vector<std::string> requests = {
        "http://localhost:40342/metadata/instance",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://0251.0376.0251.0376/metadata/instance",
        "http://169.254.169.254/metadata/instance",
        "http://100.100.100.200/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://example.com/",
    };
    for (const auto& authority : tunnels) {
        const auto answer = proxy.connectAnswer(authority);
        EXPECT_EQ(answer.rfind("HTTP/1.1 403 ", 0), 0U) << authority << ": " << answer;
    }
    for (const auto& url : requests) {
        HttpTestConnection client("127.0.0.1", proxy.port);
        const auto answer = client.sendRaw("GET " + url + " HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(answer.result_int(), 403) << url << ": " << answer.body();
    }
    for (const auto& head : upstream.heads()) {
        ADD_FAILURE() << "reached the upstream proxy: " << head;
    }
    const auto status = proxy.sandbox.daemonStatus("arcproxy");
    EXPECT_EQ(status["connections"].value("refused", 0), tunnels.size() + requests.size());
    EXPECT_EQ(status["connections"].value("forwarded", 0), 0);
}

// Two plain-HTTP requests in one write: the first (to a destination the sandbox allows) goes to
// the upstream with the credentials, the second (to the metadata service, which is refused as a
// first request too) is refused and the upstream never sees it.
TEST(ArcproxyTest, PipelinedSecondRequestToARefusedHostIsRefused) {
    ArcproxySandbox proxy;
    ForwardProxy upstream;
    proxy.useUpstream(upstream);
    HttpTestConnection client("127.0.0.1", proxy.port);
    const auto first =
        client.sendRaw("GET http://127.0.0.1:9/first HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"
                       "GET http://169.254.169.254/metadata/instance HTTP/1.1\r\n"
                       "Host: 169.254.169.254\r\nMetadata: true\r\n\r\n");
    EXPECT_EQ(first.result_int(), 200);
    EXPECT_EQ(first.body(), "upstream saw http://127.0.0.1:9/first");
    const auto second = client.sendRaw("");
    EXPECT_EQ(second.result_int(), 403) << second.body();
    const auto heads = upstream.heads();
    ASSERT_EQ(heads.size(), 1U);
    EXPECT_NE(heads[0].find(kCredentials), std::string::npos) << heads[0];
    EXPECT_EQ(heads[0].find("169.254"), std::string::npos) << heads[0];
}

// Listed names that do not resolve here go to the upstream proxy with the credentials: before
// `connect`, the public cloud's endpoints; after it, the endpoints of the connected cloud; and
// whatever extservice publishes for the extensions' packages.
TEST(ArcproxyTest, AllowListFollowsTheConnectedCloudAndTheExtensions) {
    ArcproxySandbox proxy;
    ForwardProxy upstream;
    const auto emulator =
        "127.0.0.1:" +
        std::to_string(
            http::parseUrl(proxy.sandbox.cloud().at("endpoints").at("entra").get<std::string>())
                .value()
                .port);
    for (const char* name :
         {"gbl.his.arc.azure.com:443", "cloud.arc.test:443", "packages.arc.test:443"}) {
        upstream.route(name, emulator);
    }
    proxy.useUpstream(upstream);
    const Paths paths(proxy.sandbox.root());

    EXPECT_EQ(proxy.connectAnswer("gbl.his.arc.azure.com:443").rfind("HTTP/1.1 200 ", 0), 0U);
    EXPECT_EQ(proxy.connectAnswer("cloud.arc.test:443").rfind("HTTP/1.1 403 ", 0), 0U);
    EXPECT_EQ(proxy.connectAnswer("packages.arc.test:443").rfind("HTTP/1.1 403 ", 0), 0U);

    config::AgentConfig agent;
    agent.subscription_id = "sub";
    agent.resource_group = "rg";
    agent.resource_name = "machine";
    agent.cloud.name = "Custom";
    agent.cloud.endpoints = {"https://cloud.arc.test", "https://cloud.arc.test",
                             "https://cloud.arc.test/his", "https://cloud.arc.test/gc"};
    ASSERT_TRUE(config::saveAgentConfig(paths.agentConfig(), agent));
    EXPECT_EQ(proxy.connectAnswer("cloud.arc.test:443").rfind("HTTP/1.1 200 ", 0), 0U);
    EXPECT_EQ(proxy.connectAnswer("gbl.his.arc.azure.com:443").rfind("HTTP/1.1 403 ", 0), 0U)
        << "another cloud's endpoints are not listed";

    ASSERT_TRUE(config::publishExtensionDestinations(
        paths.extensionDestinations(),
        config::destinationsOfUrls({"https://packages.arc.test/Contoso.Test/Trace/1.0.0"})));
    EXPECT_EQ(proxy.connectAnswer("packages.arc.test:443").rfind("HTTP/1.1 200 ", 0), 0U);
    const auto listed = proxy.sandbox.daemonStatus("arcproxy")["proxy"]["allowedDestinations"];
    EXPECT_NE(std::find(listed.begin(), listed.end(), "packages.arc.test:443"), listed.end())
        << listed.dump();

    const auto heads = upstream.heads();
    ASSERT_EQ(heads.size(), 3U);
    for (const auto& head : heads) {
        EXPECT_NE(head.find(kCredentials), std::string::npos) << head;
    }
}

// Control socket access (docs/architecture.md), with the kernel's credentials: root may do
// everything, a member of the reader group (AZCM_TOKEN_GROUP in a sandbox, himds when installed)
// may read status only, anyone else gets 403 even for status.
TEST(ArcproxyTest, ControlSocketAnswersByPeerCredentials) {
    const auto reader_group = platform::groupId("adm");
    ASSERT_TRUE(reader_group) << "Debian's group adm is missing";
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.writeLocalConfig(nlohmann::json::object());
    sandbox.startDaemon("arcproxy", {{"AZCM_PROXY_PORT", "0"}, {"AZCM_TOKEN_GROUP", "adm"}});
    const auto socket = Paths(sandbox.root()).socketFor("arcproxy");
    const SocketCaller stranger{65534, {}};
    const SocketCaller reader{65534, {*reader_group}};
    EXPECT_EQ(unixSocketStatus(socket, "GET", "/status", stranger), 403);
    EXPECT_EQ(unixSocketStatus(socket, "POST", "/reload", stranger), 403);
    EXPECT_EQ(unixSocketStatus(socket, "GET", "/status", reader), 200);
    EXPECT_EQ(unixSocketStatus(socket, "POST", "/reload", reader), 403);
    EXPECT_EQ(unixSocketStatus(socket, "POST", "/reload"), 200); // the daemon's own user
}

} // namespace
} // namespace azcm::test
