#include "destination_policy.hpp"

#include <gtest/gtest.h>

namespace azcm::arcproxy {
namespace {

using boost::asio::ip::make_address;

TEST(ConnectAuthority, HostNamesAndLiteralsWithAPort) {
    auto name = parseConnectAuthority("westeurope.his.arc.azure.com:443");
    ASSERT_TRUE(name);
    EXPECT_EQ(name.value().host, "westeurope.his.arc.azure.com");
    EXPECT_EQ(name.value().port, 443);
    auto v6 = parseConnectAuthority("[2001:db8::1]:443");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6.value().host, "2001:db8::1");
    EXPECT_EQ(v6.value().hostPort(), "[2001:db8::1]:443");
    EXPECT_TRUE(parseConnectAuthority("10.1.2.3:80"));
}

TEST(ConnectAuthority, MalformedIsRefused) {
    for (const char* bad : {"", "host", "host:", ":443", "host:443x", "host:0", "host:65536",
                            "ho st:443", "host/x:443", "-host:443", "host-.example:443", "a..b:443",
                            "[::1:443", "[::1]443", "[zz::1]:443", "::1:443", "host:443:1"}) {
        EXPECT_FALSE(parseConnectAuthority(bad)) << bad;
    }
    std::string long_label(64, 'a');
    long_label.append(".example:443");
    EXPECT_FALSE(parseConnectAuthority(long_label)) << "label > 63";
    std::string long_name(254, 'a');
    long_name.append(":443");
    EXPECT_FALSE(parseConnectAuthority(long_name)) << "name > 253";
}

TEST(DestinationPort, OnlyTheConfiguredPorts) {
    const DestinationRules production;
    EXPECT_TRUE(checkDestinationPort(443, production));
    EXPECT_TRUE(checkDestinationPort(80, production));
    auto refused = checkDestinationPort(22, production);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, exitcode::kUnsupported);
    EXPECT_NE(refused.error().message.find("only 443, 80"), std::string::npos);
    DestinationRules sandbox;
    sandbox.allowed_ports.clear();
    EXPECT_TRUE(checkDestinationPort(22, sandbox));
}

TEST(DestinationAddress, LocalOnlyAddressesAreRefused) {
    const DestinationRules rules;
    for (const char* refused : {"127.0.0.1", "127.1.2.3", "::1", "169.254.169.254",
                                "::ffff:169.254.169.254", "::ffff:127.0.0.1", "fe80::1", "0.0.0.0",
                                "0.1.2.3", "::", "224.0.0.1", "ff02::1", "255.255.255.255"}) {
        EXPECT_FALSE(checkDestinationAddress(make_address(refused), rules)) << refused;
    }
    for (const char* allowed : {"20.50.1.2", "10.0.0.5", "192.168.1.10", "2001:db8::1"}) {
        EXPECT_TRUE(checkDestinationAddress(make_address(allowed), rules)) << allowed;
    }
}

TEST(DestinationAddress, SandboxAllowsLoopbackButNeverLinkLocal) {
    DestinationRules sandbox;
    sandbox.allow_loopback = true;
    EXPECT_TRUE(checkDestinationAddress(make_address("127.0.0.1"), sandbox));
    EXPECT_TRUE(checkDestinationAddress(make_address("::1"), sandbox));
    EXPECT_FALSE(checkDestinationAddress(make_address("169.254.169.254"), sandbox));
}

} // namespace
} // namespace azcm::arcproxy
