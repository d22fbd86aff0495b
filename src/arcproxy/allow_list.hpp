#pragma once
// arcproxy's destination allow-list: the agent's own service endpoints and what its extensions
// need, as host:port entries; nothing else is forwarded. A host is an exact DNS name, an IP
// address, or "*.suffix", which matches any name with one or more labels in front of the suffix
// ("*.his.arc.azure.com" matches "westeurope.his.arc.azure.com", not "his.arc.azure.com").
#include "arcproxy/destination.hpp"
#include "common/config/cloud_config.hpp"
#include "common/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::arcproxy {

struct AllowedDestination {
    std::string host; // normalised as Destination::host, or "*." and a normalised name
    std::uint16_t port = 0;

    std::string text() const; // "host:port", IPv6 literals bracketed
    bool operator==(const AllowedDestination&) const = default;
};

// "host:port", "*.suffix:port" or "[v6]:port"; the port is required.
Result<AllowedDestination> parseAllowedDestination(std::string_view text);

class AllowList {
public:
    void add(AllowedDestination entry); // a duplicate is ignored
    bool allows(const Destination& destination) const;
    const std::vector<AllowedDestination>& entries() const { return entries_; }

private:
    std::vector<AllowedDestination> entries_;
};

// The agent's own endpoints in `cloud`: the host and port of its Entra, ARM, identity and guest
// configuration endpoints, and for the public cloud the other endpoints its services use
// (regional identity and guest configuration hosts, notifications, package downloads; the list
// is in docs/arcproxy.md).
AllowList agentEndpoints(const config::CloudConfig& cloud);

} // namespace azcm::arcproxy
