#include "emulator/server.hpp"
#include "emulator_fixture.hpp"

#include <gtest/gtest.h>

namespace azcm::emulator::test {
namespace {

TEST(ServerTest, ParsesListenAddresses) {
    auto v4 = parseListenAddress("127.0.0.1:0");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4.value().host, "127.0.0.1");
    EXPECT_EQ(v4.value().port, 0);
    auto v6 = parseListenAddress("[::1]:8443");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6.value().host, "::1");
    EXPECT_EQ(v6.value().port, 8443);
    EXPECT_FALSE(parseListenAddress("127.0.0.1"));
    EXPECT_FALSE(parseListenAddress("127.0.0.1:70000"));
    EXPECT_FALSE(parseListenAddress("127.0.0.1:x"));
    EXPECT_FALSE(parseListenAddress(":80"));
    EXPECT_EQ(baseUrlFor("127.0.0.1", 443), "https://127.0.0.1:443");
    EXPECT_EQ(baseUrlFor("::1", 443), "https://[::1]:443");
    EXPECT_EQ(baseUrlFor("0.0.0.0", 443), "https://127.0.0.1:443");
    EXPECT_EQ(baseUrlFor("::", 443), "https://[::1]:443");
}

TEST(ServerTest, CloudJsonCarriesEveryEndpointAndTheBootstrapOwner) {
    Settings settings{"tenant", "subscription", "app", "secret"};
    const auto& pki = sharedPki();
    const auto cloud = cloudJson(settings, pki, "https://127.0.0.1:9000");
    EXPECT_EQ(cloud["name"], "ArcEmulator");
    EXPECT_EQ(cloud["tenantId"], "tenant");
    EXPECT_EQ(cloud["subscriptionId"], "subscription");
    EXPECT_EQ(cloud["caCertPath"], pki.ca_cert_path.string());
    EXPECT_EQ(cloud["endpoints"]["entra"], "https://127.0.0.1:9000");
    EXPECT_EQ(cloud["endpoints"]["arm"], "https://127.0.0.1:9000");
    EXPECT_EQ(cloud["endpoints"]["identity"], "https://127.0.0.1:9000/his");
    EXPECT_EQ(cloud["endpoints"]["guestConfiguration"], "https://127.0.0.1:9000/gc");
    EXPECT_EQ(cloud["bootstrapOwner"]["appId"], "app");
    EXPECT_EQ(cloud["bootstrapOwner"]["password"], "secret");
}

TEST(ServerTest, TlsContextAcceptsTheEmulatorPki) {
    auto context = makeTlsContext(sharedPki());
    EXPECT_TRUE(context) << (context ? "" : context.error().message);
}

} // namespace
} // namespace azcm::emulator::test
