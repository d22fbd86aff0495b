#pragma once
// A destination as arcproxy checks it: the host a client names, normalised so that one host has
// one spelling. A resolver reads `2130706433`, `0x7f.1` and `0177.0.0.1` as 127.0.0.1; so do we,
// before any check, and a name that only looks numeric is refused rather than guessed at.
#include "common/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace azcm::arcproxy {

struct Destination {
    // A lower-case DNS name without a trailing dot, or an IP address in its canonical text
    // (dotted quad, RFC 5952 IPv6 without brackets).
    std::string host;
    std::uint16_t port = 0;
    std::optional<boost::asio::ip::address> address; // set when the host is an IP address

    std::string hostPort() const; // "host:port", IPv6 literals bracketed
};

// The IPv4 address of a host written in any form inet_aton(3) reads (and so the system resolver
// and most upstream proxies): one to four parts, each decimal, octal (leading 0) or hexadecimal
// (0x); the last part fills the remaining bytes. nullopt when the host is not numeric; an error
// when it is numeric but out of range.
Result<std::optional<boost::asio::ip::address_v4>> parseNumericIpv4(std::string_view host);

// A host as a client or a URL names it (IPv6 without brackets), normalised. Refuses malformed
// names (LDH labels of at most 63 characters, 253 in all), IPv6 zone ids, and names whose last
// label is a number but which are no IPv4 address (`1.2.3.256`, `host.0x10`).
Result<Destination> makeDestination(std::string_view host, std::uint16_t port);

// The authority of a CONNECT request ("host:port", "[v6]:port"); the port is required.
Result<Destination> parseConnectAuthority(std::string_view authority);

} // namespace azcm::arcproxy
