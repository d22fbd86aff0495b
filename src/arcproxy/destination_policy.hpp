#pragma once
// Which destinations arcproxy forwards to. The proxy listens on loopback for the agent's services
// and its extensions, with the administrator's upstream proxy credentials behind it; it must not
// become a way for any local user to reach what is deliberately local (the IMDS endpoint on
// 127.0.0.1:40342, a cloud metadata service, anything bound to loopback) or to spend those
// credentials elsewhere. So a destination must be on the allow-list (allow_list.hpp), its host is
// normalised first (every numeric form of an IPv4 address the resolver would accept becomes that
// address), and every address it is or resolves to is checked against the table below
// (docs/arcproxy.md gives the reason for each range).
#include "arcproxy/allow_list.hpp"
#include "arcproxy/destination.hpp"
#include "common/error.hpp"

#include <cstdint>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace azcm::arcproxy {

struct DestinationRules {
    // Sandboxes (AZCM_ROOT) put the control plane on 127.0.0.1 on any port: there loopback
    // addresses are destinations on any port, as if listed. Production never allows loopback and
    // forwards to 443 and 80 only (the agent and its extensions speak HTTPS, and plain HTTP for a
    // few downloads). Empty: any port.
    bool allow_loopback = false;
    std::vector<std::uint16_t> allowed_ports = {443, 80};
};

// kUnsupported when the rules do not forward to this port.
Result<void> checkDestinationPort(std::uint16_t port, const DestinationRules& rules);

// Refuses addresses that are never an Arc endpoint (docs/arcproxy.md has the table and the
// reasons): loopback (unless allowed), link-local, unique-local IPv6 (fc00::/7), shared address
// space (100.64.0.0/10), documentation, benchmarking, reserved, multicast and broadcast ranges.
// IPv4 embedded in IPv6 (mapped, NAT64 64:ff9b::/96, 6to4) is checked as the IPv4 address it
// names. The RFC 1918 ranges are allowed: private endpoints of the agent's services live there.
Result<void> checkDestinationAddress(const boost::asio::ip::address& address,
                                     const DestinationRules& rules);

// The checks made before anything is resolved or connected: the port, the allow-list (a sandbox
// counts loopback addresses as listed), and the address of an IP literal.
Result<void> checkRequestedDestination(const Destination& destination,
                                       const AllowList& allow_list,
                                       const DestinationRules& rules);

} // namespace azcm::arcproxy
