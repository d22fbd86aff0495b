#include "arcproxy/destination_policy.hpp"

#include <gtest/gtest.h>

namespace azcm::arcproxy {
namespace {

using boost::asio::ip::make_address;

TEST(ConnectAuthority, HostNamesAndLiteralsWithAPort) {
    auto name = parseConnectAuthority("westeurope.his.arc.azure.com:443");
    ASSERT_TRUE(name);
    EXPECT_EQ(name.value().host, "westeurope.his.arc.azure.com");
    EXPECT_EQ(name.value().port, 443);
    EXPECT_FALSE(name.value().address);
    auto v6 = parseConnectAuthority("[2603:1030::1]:443");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6.value().host, "2603:1030::1");
    EXPECT_EQ(v6.value().hostPort(), "[2603:1030::1]:443");
    ASSERT_TRUE(v6.value().address);
    auto v4 = parseConnectAuthority("10.1.2.3:80");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4.value().address, make_address("10.1.2.3"));
}

TEST(ConnectAuthority, MalformedIsRefused) {
    for (const char* bad : {"",
                            "host",
                            "host:",
                            ":443",
                            "host:443x",
                            "host:0",
                            "host:65536",
                            "ho st:443",
                            "host/x:443",
                            "-host:443",
                            "host-.example:443",
                            "a..b:443",
                            "[::1:443",
                            "[::1]443",
                            "[zz::1]:443",
                            "::1:443",
                            "host:443:1",
                            "[127.0.0.1]:443",
                            "[fe80::1%lo]:443",
                            "host_name.example:443"}) {
        EXPECT_FALSE(parseConnectAuthority(bad)) << bad;
    }
    std::string long_label(64, 'a');
    long_label.append(".example:443");
    EXPECT_FALSE(parseConnectAuthority(long_label)) << "label > 63";
    std::string long_name(254, 'a');
    long_name.append(":443");
    EXPECT_FALSE(parseConnectAuthority(long_name)) << "name > 253";
}

// Every spelling the system resolver (inet_aton) reads as an address is that address to us too.
TEST(HostNormalisation, NumericFormsBecomeTheAddressTheResolverWouldUse) {
    const std::pair<const char*, const char*> cases[] = {
        {"2130706433", "127.0.0.1"},
        {"0x7f.1", "127.0.0.1"},
        {"0177.0.0.1", "127.0.0.1"},
        {"0x7f000001", "127.0.0.1"},
        {"0X7F.0.0.1", "127.0.0.1"},
        {"127.1", "127.0.0.1"},
        {"127.0.1", "127.0.0.1"},
        {"017700000001", "127.0.0.1"},
        {"127.0.0.1.", "127.0.0.1"},
        {"0xA9.0xFE.0xA9.0xFE", "169.254.169.254"},
        {"2852039166", "169.254.169.254"},
        {"0251.0376.0251.0376", "169.254.169.254"},
        {"169.254.43518", "169.254.169.254"},
        {"0", "0.0.0.0"},
        {"0x", "0.0.0.0"},
        {"20.50.1.2", "20.50.1.2"},
    };
    for (const auto& [written, address] : cases) {
        auto destination = makeDestination(written, 443);
        ASSERT_TRUE(destination) << written << ": " << destination.error().message;
        EXPECT_EQ(destination.value().host, address) << written;
        ASSERT_TRUE(destination.value().address) << written;
        EXPECT_EQ(*destination.value().address, make_address(address)) << written;
    }
}

TEST(HostNormalisation, NumbersThatAreNoAddressAreRefused) {
    for (const char* bad :
         {"1.2.3.256", "256.1.1.1", "0x100000000", "4294967296", "08.0.0.1", "0x1.0x1.0x1.0x100",
          "1.2.3.4.5", "1.2.65536", "host.0x10", "example.123", "99999999999999999999999"}) {
        EXPECT_FALSE(makeDestination(bad, 443)) << bad;
    }
}

// Found by the arcproxy_request fuzz target: "a.b.." lost one dot per normalisation, so what was
// checked was not what a second reading (the log, the upstream) saw.
TEST(HostNormalisation, OnlyOneTrailingDotIsDropped) {
    for (const char* empty_label : {"mannt.azecmo..", "example.com...", "..", "a..b"}) {
        EXPECT_FALSE(makeDestination(empty_label, 443)) << empty_label;
    }
    EXPECT_EQ(makeDestination("example.com.", 443).value().host, "example.com");
}

TEST(HostNormalisation, NamesAreLowerCaseWithoutTheTrailingDot) {
    auto name = makeDestination("Login.MicrosoftOnline.COM.", 443);
    ASSERT_TRUE(name);
    EXPECT_EQ(name.value().host, "login.microsoftonline.com");
    EXPECT_FALSE(name.value().address);
    for (const char* still_a_name : {"1e100.net", "0xzz.example", "123.example.com", "x0x7f"}) {
        auto parsed = makeDestination(still_a_name, 443);
        ASSERT_TRUE(parsed) << still_a_name;
        EXPECT_FALSE(parsed.value().address) << still_a_name;
    }
    auto v6 = makeDestination("0:0:0:0:0:FFFF:A9FE:A9FE", 443);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6.value().host, "::ffff:169.254.169.254");
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

// The IANA special-purpose registries, row by row (docs/arcproxy.md gives the reasons).
TEST(DestinationAddress, SpecialPurposeRangesAreRefused) {
    const DestinationRules rules;
    for (const char* refused : {
             // IPv4
             "0.0.0.0", "0.1.2.3",                               // this network
             "127.0.0.1", "127.1.2.3",                           // loopback
             "169.254.169.254", "169.254.0.1",                   // link-local, metadata
             "100.100.100.200", "100.64.0.1", "100.127.255.254", // shared space, metadata
             "192.0.0.192", "192.0.0.9",                         // IETF protocol assignments
             "192.0.2.1", "198.51.100.1", "203.0.113.1",         // documentation
             "192.88.99.1",                                      // 6to4 relay anycast
             "198.18.0.1", "198.19.255.255",                     // benchmarking
             "224.0.0.1", "239.255.255.250",                     // multicast
             "240.0.0.1", "255.255.255.254", "255.255.255.255",  // reserved, broadcast
             // IPv6
             "::", "::1", "fe80::1", "febf::1", "fec0::1", "ff02::1", "ff0e::1", "fd00:ec2::254",
             "fc00::1", "fdff:ffff::1",                   // unique local, AWS metadata
             "::127.0.0.1", "::a9fe:a9fe", "::20.50.1.2", // IPv4-compatible
             "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:100.100.100.200",
             "::ffff:0.0.0.0",                                              // IPv4-mapped
             "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::6464:64c8", // NAT64
             "64:ff9b:1::1",                                                // local-use NAT64
             "2002:7f00:1::1", "2002:a9fe:a9fe::",                        // 6to4 of local addresses
             "2001::1", "2001:0:4136:e378::1", "2001:2::1", "2001:10::1", // IETF (Teredo, ...)
             "2001:db8::1", "3fff::1",                                    // documentation
             "100::1", "5f00::1", "4000::1", "::2", // discard, SRv6, unassigned
         }) {
        auto checked = checkDestinationAddress(make_address(refused), rules);
        EXPECT_FALSE(checked) << refused;
    }
}

TEST(DestinationAddress, GlobalAndPrivateUnicastIsAllowed) {
    const DestinationRules rules;
    for (const char* allowed :
         {"20.50.1.2", "13.107.42.14", "1.1.1.1", "100.63.255.255", "100.128.0.1", "198.17.255.255",
          "198.20.0.1", "192.0.1.1", "223.255.255.255",
          // RFC 1918: private endpoints of the agent's services resolve there.
          "10.0.0.5", "172.16.0.1", "172.31.255.254", "192.168.1.10", "2603:1030::1",
          "2a01:111:f100::1", "2001:4860:4860::8888", "::ffff:20.50.1.2", "64:ff9b::1432:102",
          "2002:1432:102::1"}) {
        auto checked = checkDestinationAddress(make_address(allowed), rules);
        EXPECT_TRUE(checked) << allowed << ": " << (checked ? "" : checked.error().message);
    }
}

TEST(DestinationAddress, RefusalsSayWhy) {
    const DestinationRules rules;
    auto aws = checkDestinationAddress(make_address("fd00:ec2::254"), rules);
    ASSERT_FALSE(aws);
    EXPECT_NE(aws.error().message.find("unique local"), std::string::npos) << aws.error().message;
    auto alibaba = checkDestinationAddress(make_address("100.100.100.200"), rules);
    ASSERT_FALSE(alibaba);
    EXPECT_NE(alibaba.error().message.find("shared address space"), std::string::npos);
    auto nat64 = checkDestinationAddress(make_address("64:ff9b::a9fe:a9fe"), rules);
    ASSERT_FALSE(nat64);
    EXPECT_NE(nat64.error().message.find("embeds 169.254.169.254"), std::string::npos)
        << nat64.error().message;
}

TEST(DestinationAddress, SandboxAllowsLoopbackButNeverLinkLocalOrTranslatedLoopback) {
    DestinationRules sandbox;
    sandbox.allow_loopback = true;
    EXPECT_TRUE(checkDestinationAddress(make_address("127.0.0.1"), sandbox));
    EXPECT_TRUE(checkDestinationAddress(make_address("::1"), sandbox));
    EXPECT_TRUE(checkDestinationAddress(make_address("::ffff:127.0.0.1"), sandbox));
    EXPECT_FALSE(checkDestinationAddress(make_address("169.254.169.254"), sandbox));
    // A translator's loopback is not this host's.
    EXPECT_FALSE(checkDestinationAddress(make_address("64:ff9b::7f00:1"), sandbox));
    EXPECT_FALSE(checkDestinationAddress(make_address("2002:7f00:1::1"), sandbox));
}

AllowList listOf(std::initializer_list<const char*> entries) {
    AllowList list;
    for (const auto* entry : entries) {
        list.add(parseAllowedDestination(entry).value());
    }
    return list;
}

TEST(RequestedDestination, OnlyListedDestinationsWithAllowedAddresses) {
    const DestinationRules production;
    const auto list =
        listOf({"login.microsoftonline.com:443", "*.his.arc.azure.com:443", "20.50.1.2:443",
                "169.254.169.254:80", "localhost:443", "www.microsoft.com:80"});
    auto check = [&](const char* host, std::uint16_t port) {
        auto destination = makeDestination(host, port);
        EXPECT_TRUE(destination) << host;
        return checkRequestedDestination(destination.value(), list, production);
    };
    EXPECT_TRUE(check("login.microsoftonline.com", 443));
    EXPECT_TRUE(check("LOGIN.microsoftonline.com.", 443));
    EXPECT_TRUE(check("westeurope.his.arc.azure.com", 443));
    EXPECT_TRUE(check("20.50.1.2", 443));
    EXPECT_TRUE(check("www.microsoft.com", 80));
    // Listing is by name and port; an address stays refused even when listed.
    EXPECT_FALSE(check("login.microsoftonline.com", 80));
    EXPECT_FALSE(check("metadata.google.internal", 80));
    EXPECT_FALSE(check("example.com", 443));
    EXPECT_FALSE(check("20.50.1.3", 443));
    EXPECT_FALSE(check("169.254.169.254", 80));
    EXPECT_FALSE(check("2852039166", 80));
    auto unlisted = check("metadata.google.internal", 80);
    ASSERT_FALSE(unlisted);
    EXPECT_NE(unlisted.error().message.find("allow-list"), std::string::npos);
    // The name is listed, so only its addresses (checked on resolution) decide.
    EXPECT_TRUE(check("localhost", 443));
}

TEST(RequestedDestination, SandboxCountsLoopbackAddressesAsListedButNotLoopbackNames) {
    DestinationRules sandbox;
    sandbox.allow_loopback = true;
    sandbox.allowed_ports.clear();
    const AllowList nothing;
    auto check = [&](const char* host, std::uint16_t port) {
        return checkRequestedDestination(makeDestination(host, port).value(), nothing, sandbox);
    };
    EXPECT_TRUE(check("127.0.0.1", 8443));
    EXPECT_TRUE(check("::1", 8443));
    EXPECT_TRUE(check("2130706433", 8443));
    EXPECT_FALSE(check("localhost", 8443));
    EXPECT_FALSE(check("20.50.1.2", 443));
    EXPECT_FALSE(check("169.254.169.254", 80));
}

} // namespace
} // namespace azcm::arcproxy
