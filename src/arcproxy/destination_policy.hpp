#pragma once
// Which destinations arcproxy forwards to. The proxy listens on loopback for the agent's services
// and its extensions; it must not become a way for any local user to reach services that are
// deliberately local (the IMDS endpoint on 127.0.0.1:40342, a cloud metadata service on
// 169.254.169.254, anything bound to loopback), so destinations are checked twice: the name and
// port the client asks for, and every address that name resolves to.
#include "error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace azcm::arcproxy {

struct Destination {
    std::string host; // a DNS name or an IP literal (brackets removed)
    std::uint16_t port = 0;

    std::string hostPort() const; // "host:port", IPv6 literals bracketed
};

struct DestinationRules {
    // Sandboxes (AZCM_ROOT) put the control plane on 127.0.0.1 on any port; production never
    // allows loopback and forwards to 443 and 80 only (the agent and its extensions speak HTTPS,
    // and plain HTTP for a few downloads). Empty: any port.
    bool allow_loopback = false;
    std::vector<std::uint16_t> allowed_ports = {443, 80};
};

// The authority of a CONNECT request ("host:port", "[v6]:port"): the port is required; host names
// are LDH labels, at most 253 characters.
Result<Destination> parseConnectAuthority(std::string_view authority);
// kUnsupported when the rules do not forward to this port.
Result<void> checkDestinationPort(std::uint16_t port, const DestinationRules& rules);

// Refuses loopback (unless allowed), link-local (169.254.0.0/16, fe80::/10, which holds cloud
// metadata services), unspecified, multicast and broadcast addresses, also when IPv4-mapped.
Result<void> checkDestinationAddress(const boost::asio::ip::address& address,
                                     const DestinationRules& rules);

} // namespace azcm::arcproxy
