// The shipped arcproxy in a sandbox: an HTTPS client reaches the emulator through it with TLS
// verified end to end, a reload switches it to an upstream proxy (credentials used, never shown),
// cloud metadata addresses are refused, and only root may reload it.
#include "forward_proxy.hpp"
#include "http/https_client.hpp"
#include "ipc/control_access.hpp"
#include "ipc/ipc_client.hpp"
#include "paths/paths.hpp"
#include "sandbox.hpp"
#include "socket_caller.hpp"

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
};

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

// ARCHITECTURE 4, with the kernel's credentials: root may do everything, a member of the reader
// group (AZCM_TOKEN_GROUP in a sandbox, himds when installed) may read status only, anyone else
// gets 403 even for status.
TEST(ArcproxyTest, ControlSocketAnswersByPeerCredentials) {
    const auto reader_group = ipc::groupId("adm");
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
