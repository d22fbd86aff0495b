#include "arcproxy/destination_policy.hpp"

#include <algorithm>
#include <array>

namespace azcm::arcproxy {

namespace {

using boost::asio::ip::address_v4;

// A range of the IANA special-purpose registries that is never an Arc endpoint, and why.
struct V4Range {
    std::uint32_t network;
    unsigned prefix;
    const char* why;
};

struct V6Range {
    std::array<unsigned char, 16> network;
    unsigned prefix;
    const char* why;
};

// Loopback is decided apart (sandboxes allow it). docs/arcproxy.md explains each row and the
// ranges that are allowed.
constexpr std::array kRefusedV4 = {
    V4Range{0x00000000, 8, "is in 0.0.0.0/8 (this network), not a destination"},
    V4Range{0x64400000, 10,
            "is shared address space (100.64.0.0/10; cloud metadata services live there)"},
    V4Range{0xA9FE0000, 16, "is link-local (cloud metadata services live there)"},
    V4Range{0xC0000000, 24, "is in 192.0.0.0/24 (IETF protocol assignments, cloud metadata)"},
    V4Range{0xC0000200, 24, "is a documentation address (192.0.2.0/24)"},
    V4Range{0xC0586300, 24, "is in 192.88.99.0/24 (deprecated 6to4 relays)"},
    V4Range{0xC6120000, 15, "is a benchmarking address (198.18.0.0/15)"},
    V4Range{0xC6336400, 24, "is a documentation address (198.51.100.0/24)"},
    V4Range{0xCB007100, 24, "is a documentation address (203.0.113.0/24)"},
    V4Range{0xE0000000, 4, "is multicast, not a unicast destination"},
    V4Range{0xF0000000, 4, "is reserved (240.0.0.0/4) or broadcast, not a destination"},
};

constexpr std::array<unsigned char, 16> v6(std::initializer_list<unsigned char> leading) {
    std::array<unsigned char, 16> bytes{};
    std::size_t i = 0;
    for (const auto b : leading) {
        bytes[i++] = b;
    }
    return bytes;
}

// Inside 2000::/3 (global unicast): everything outside it is refused as a whole, except the two
// forms that carry an IPv4 address (mapped, NAT64), which are checked as that address.
constexpr std::array kRefusedV6 = {
    V6Range{v6({0x20, 0x01, 0x00, 0x00}), 23, "is in 2001::/23 (IETF protocol assignments)"},
    V6Range{v6({0x20, 0x01, 0x0d, 0xb8}), 32, "is a documentation address (2001:db8::/32)"},
    V6Range{v6({0x3f, 0xff}), 20, "is a documentation address (3fff::/20)"},
};

bool inPrefix(const unsigned char* address, const unsigned char* network, unsigned prefix) {
    const unsigned whole = prefix / 8;
    if (!std::equal(address, address + whole, network)) {
        return false;
    }
    const unsigned rest = prefix % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
    return (address[whole] & mask) == (network[whole] & mask);
}

Result<void> checkV4(const address_v4& address, bool allow_loopback, const std::string& shown) {
    if (address.is_loopback()) {
        if (allow_loopback) {
            return ok();
        }
        return makeError(exitcode::kInvalidArgument, shown + " is a loopback address");
    }
    const auto value = address.to_uint();
    for (const auto& range : kRefusedV4) {
        const std::uint32_t mask = ~0U << (32 - range.prefix);
        if ((value & mask) == range.network) {
            return makeError(exitcode::kInvalidArgument, shown + " " + range.why);
        }
    }
    return ok();
}

address_v4 v4FromBytes(const unsigned char* bytes) {
    return address_v4(address_v4::bytes_type{bytes[0], bytes[1], bytes[2], bytes[3]});
}

// An IPv4 address that a translator or relay reaches for us: its loopback is never ours to allow,
// not even in a sandbox.
Result<void> embeddedV4(const address_v4& address, const std::string& shown, const char* form) {
    if (auto checked = checkV4(address, false, address.to_string()); !checked) {
        return makeError(exitcode::kInvalidArgument,
                         shown + " embeds " + checked.error().message + " (" + form + ")");
    }
    return ok();
}

} // namespace

Result<void> checkDestinationPort(std::uint16_t port, const DestinationRules& rules) {
    if (rules.allowed_ports.empty() ||
        std::find(rules.allowed_ports.begin(), rules.allowed_ports.end(), port) !=
            rules.allowed_ports.end()) {
        return ok();
    }
    std::string allowed;
    for (const auto p : rules.allowed_ports) {
        allowed += (allowed.empty() ? "" : ", ") + std::to_string(p);
    }
    return makeError(exitcode::kUnsupported,
                     "port " + std::to_string(port) + " is not forwarded (only " + allowed + ")");
}

Result<void> checkDestinationAddress(const boost::asio::ip::address& address,
                                     const DestinationRules& rules) {
    const std::string shown = address.to_string();
    if (address.is_v4()) {
        return checkV4(address.to_v4(), rules.allow_loopback, shown);
    }
    const auto ip = address.to_v6();
    const auto bytes = ip.to_bytes();
    // ::ffff:a.b.c.d reaches a.b.c.d on this host: the same rules, loopback included.
    if (ip.is_v4_mapped()) {
        return checkV4(v4FromBytes(&bytes[12]), rules.allow_loopback, shown);
    }
    // 64:ff9b::/96 reaches the embedded address through a NAT64 gateway.
    if (inPrefix(bytes.data(), v6({0x00, 0x64, 0xff, 0x9b}).data(), 96)) {
        return embeddedV4(v4FromBytes(&bytes[12]), shown, "NAT64");
    }
    if (ip.is_loopback()) {
        if (rules.allow_loopback) {
            return ok();
        }
        return makeError(exitcode::kInvalidArgument, shown + " is a loopback address");
    }
    if (!inPrefix(bytes.data(), v6({0x20}).data(), 3)) {
        // ::, ::/96 (IPv4-compatible, deprecated), 64:ff9b:1::/48, 100::/64, fc00::/7 (AWS's
        // metadata service at fd00:ec2::254), fe80::/10, fec0::/10, ff00::/8 and the unassigned
        // rest.
        std::string why = "is not a global unicast address";
        if (ip.is_link_local()) {
            why = "is link-local";
        } else if ((bytes[0] & 0xFE) == 0xFC) {
            why = "is a unique local address (fc00::/7; cloud metadata services live there)";
        } else if (ip.is_multicast()) {
            why = "is multicast, not a unicast destination";
        }
        return makeError(exitcode::kInvalidArgument, shown + " " + why);
    }
    // 2002:a.b.c.d::/48 (6to4) reaches the embedded address through a relay.
    if (bytes[0] == 0x20 && bytes[1] == 0x02) {
        return embeddedV4(v4FromBytes(&bytes[2]), shown, "6to4");
    }
    for (const auto& range : kRefusedV6) {
        if (inPrefix(bytes.data(), range.network.data(), range.prefix)) {
            return makeError(exitcode::kInvalidArgument, shown + " " + range.why);
        }
    }
    return ok();
}

Result<void> checkRequestedDestination(const Destination& destination,
                                       const AllowList& allow_list,
                                       const DestinationRules& rules) {
    if (auto port_allowed = checkDestinationPort(destination.port, rules); !port_allowed) {
        return port_allowed.error();
    }
    if (destination.address) {
        BOOST_OUTCOME_TRY(checkDestinationAddress(*destination.address, rules));
    }
    const bool sandbox_loopback =
        rules.allow_loopback && destination.address && destination.address->is_loopback();
    if (!sandbox_loopback && !allow_list.allows(destination)) {
        return makeError(exitcode::kInvalidArgument,
                         destination.hostPort() +
                             " is not an endpoint of the agent or its extensions (not on the "
                             "allow-list)");
    }
    return ok();
}

} // namespace azcm::arcproxy
