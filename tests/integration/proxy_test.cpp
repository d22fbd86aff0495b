// proxy.url and proxy.bypass end to end: the shipped azcmagent and himds reach the emulator
// through a test CONNECT proxy, or directly for the services named in proxy.bypass. The emulator
// serves every service on one host and port, so only a per-service decision can pass these.
#include "common/paths/paths.hpp"
#include "forward_proxy.hpp"
#include "sandbox.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct ProxiedSandbox {
    Sandbox sandbox;
    ServicePrincipal sp;

    ProxiedSandbox(const std::string& proxy_url, const std::vector<std::string>& bypass) {
        sandbox.startEmulator();
        sandbox.writeLocalConfig(json{{"proxy.url", proxy_url}, {"proxy.bypass", bypass}});
        sandbox.startHimds();
        sp = sandbox.createServicePrincipal("onboarder", kOnboarding);
    }
    CommandResult connect(const std::string& name) {
        return sandbox.azcmagent(sandbox.connectArgs(sp, name));
    }
};

TEST(ProxyTest, EveryCallGoesThroughTheProxy) {
    ForwardProxy proxy;
    ProxiedSandbox box(proxy.url(), {});
    const auto result = box.connect("px01");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    const int after_connect = proxy.connects();
    EXPECT_GE(after_connect, 4) << "Entra check, token, ARM, identity";
    // himds heartbeats (every second here) take the proxy too.
    EXPECT_TRUE(waitUntil([&] { return proxy.connects() >= after_connect + 2; }, 20s));
    EXPECT_EQ(box.sandbox.himdsStatus().value("agentStatus", ""), "Connected");
}

TEST(ProxyTest, BypassedServicesGoDirect) {
    // A proxy that refuses every tunnel: anything sent to it fails.
    ForwardProxy proxy(ForwardProxy::Options{403, std::nullopt});
    ProxiedSandbox box(proxy.url(), {"AAD", "ARM", "Arc"});
    const auto result = box.connect("px02");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(proxy.connects(), 0);
    EXPECT_TRUE(waitUntil(
        [&] { return box.sandbox.himdsStatus().value("agentStatus", "") == "Connected"; }, 20s));
    EXPECT_EQ(proxy.connects(), 0);
}

TEST(ProxyTest, OnlyTheServiceNotBypassedUsesTheProxy) {
    ForwardProxy proxy(ForwardProxy::Options{403, std::nullopt});
    ProxiedSandbox box(proxy.url(), {"aad", "arm"});
    const auto result = box.connect("px03");
    // Entra and ARM went direct; the certificate request to the identity service (Arc) was sent
    // to the refusing proxy.
    EXPECT_NE(result.exit_code, 0) << result.out;
    EXPECT_GE(proxy.connects(), 1);
    EXPECT_NE((result.out + result.err).find("403"), std::string::npos) << result.out << result.err;
    EXPECT_FALSE(box.sandbox.getMachine("arc-rg", "px03") &&
                 box.sandbox.getMachine("arc-rg", "px03")->at("properties").value("status", "") ==
                     "Connected");
}

TEST(ProxyTest, CredentialsAreSentButNeverShown) {
    // base64("agent:hunter2")
    ForwardProxy proxy(ForwardProxy::Options{0, std::string("Basic YWdlbnQ6aHVudGVyMg==")});
    const std::string url = "http://agent:hunter2@127.0.0.1:" + std::to_string(proxy.port());
    ProxiedSandbox box(url, {});
    const auto result = box.connect("px04");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_TRUE(waitUntil(
        [&] { return box.sandbox.himdsStatus().value("agentStatus", "") == "Connected"; }, 20s));
    const auto show = box.sandbox.azcmagent({"show", "--json"});
    ASSERT_EQ(show.exit_code, 0);
    EXPECT_EQ(json::parse(show.out).value("httpsProxy", ""),
              "http://***@127.0.0.1:" + std::to_string(proxy.port()));
    for (const auto& text :
         {show.out, result.out, result.err, box.sandbox.readLog("var/opt/azcmagent/log/himds.log"),
          box.sandbox.readLog("var/opt/azcmagent/log/azcmagent.log")}) {
        EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    }
    // Nor does the control plane learn them: ARM's agentConfiguration is redacted.
    const auto machine = box.sandbox.getMachine("arc-rg", "px04").value();
    EXPECT_EQ(machine.dump().find("hunter2"), std::string::npos);
}

} // namespace
} // namespace azcm::test
