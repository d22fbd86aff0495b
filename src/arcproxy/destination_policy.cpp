#include "destination_policy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace azcm::arcproxy {

namespace {

constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxLabelLength = 63;

bool validHostName(std::string_view host) {
    if (host.empty() || host.size() > kMaxHostLength) {
        return false;
    }
    std::size_t label = 0;
    char previous = '.';
    for (const char c : host) {
        if (c == '.') {
            if (label == 0 || previous == '-') {
                return false;
            }
            label = 0;
        } else if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-') {
            if ((label == 0 && c == '-') || ++label > kMaxLabelLength) {
                return false;
            }
        } else {
            return false;
        }
        previous = c;
    }
    return previous != '-';
}

} // namespace

std::string Destination::hostPort() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Destination> parseConnectAuthority(std::string_view authority) {
    std::string_view host;
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos || close + 1 >= authority.size() ||
            authority[close + 1] != ':') {
            return makeError(exitcode::kInvalidArgument, "malformed CONNECT authority");
        }
        host = authority.substr(1, close - 1);
        port_text = authority.substr(close + 2);
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address_v6(std::string(host), ec);
        if (ec || address.is_unspecified()) {
            return makeError(exitcode::kInvalidArgument, "malformed IPv6 literal in CONNECT");
        }
    } else {
        const auto colon = authority.rfind(':');
        if (colon == std::string_view::npos || authority.find(':') != colon) {
            return makeError(exitcode::kInvalidArgument,
                             "CONNECT needs host:port (an IPv6 literal in brackets)");
        }
        host = authority.substr(0, colon);
        port_text = authority.substr(colon + 1);
        if (!validHostName(host)) {
            return makeError(exitcode::kInvalidArgument, "malformed host name in CONNECT");
        }
    }
    unsigned port = 0;
    const auto* end = port_text.data() + port_text.size();
    const auto parsed = std::from_chars(port_text.data(), end, port);
    if (port_text.empty() || parsed.ec != std::errc() || parsed.ptr != end || port == 0 ||
        port > 65535) {
        return makeError(exitcode::kInvalidArgument, "malformed port in CONNECT");
    }
    return Destination{std::string(host), static_cast<std::uint16_t>(port)};
}

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
    auto v4_of =
        [](const boost::asio::ip::address& a) -> std::optional<boost::asio::ip::address_v4> {
        if (a.is_v4()) {
            return a.to_v4();
        }
        if (a.to_v6().is_v4_mapped()) {
            return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
        }
        return std::nullopt;
    };
    const std::string text = address.to_string();
    if (auto v4 = v4_of(address)) {
        const auto bytes = v4->to_bytes();
        if (v4->is_loopback() && !rules.allow_loopback) {
            return makeError(exitcode::kInvalidArgument, text + " is a loopback address");
        }
        if (bytes[0] == 169 && bytes[1] == 254) {
            return makeError(exitcode::kInvalidArgument,
                             text + " is link-local (cloud metadata services live there)");
        }
        if (v4->is_unspecified() || v4->is_multicast() || v4->to_uint() == 0xFFFFFFFFu ||
            bytes[0] == 0) {
            return makeError(exitcode::kInvalidArgument, text + " is not a unicast destination");
        }
        return ok();
    }
    const auto v6 = address.to_v6();
    if (v6.is_loopback() && !rules.allow_loopback) {
        return makeError(exitcode::kInvalidArgument, text + " is a loopback address");
    }
    if (v6.is_link_local()) {
        return makeError(exitcode::kInvalidArgument, text + " is link-local");
    }
    if (v6.is_unspecified() || v6.is_multicast()) {
        return makeError(exitcode::kInvalidArgument, text + " is not a unicast destination");
    }
    return ok();
}

} // namespace azcm::arcproxy
