#include "arcproxy/destination.hpp"

#include <cctype>
#include <charconv>
#include <vector>

namespace azcm::arcproxy {

namespace {

constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxLabelLength = 63;
constexpr std::uint64_t kMaxIpv4 = 0xFFFFFFFFULL;

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
    // No empty last label: the one trailing dot of a fully qualified name is gone by now.
    return previous != '-' && previous != '.';
}

std::vector<std::string_view> splitLabels(std::string_view host) {
    std::vector<std::string_view> labels;
    std::size_t start = 0;
    for (;;) {
        const auto dot = host.find('.', start);
        labels.push_back(host.substr(start, dot - start));
        if (dot == std::string_view::npos) {
            return labels;
        }
        start = dot + 1;
    }
}

bool isHexPrefix(std::string_view part) {
    return part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X');
}

// Whether a label is written as inet_aton's numbers are: decimal digits, or 0x and hex digits.
bool looksNumeric(std::string_view part) {
    if (part.empty()) {
        return false;
    }
    if (isHexPrefix(part)) {
        for (const char c : part.substr(2)) {
            if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
                return false;
            }
        }
        return true;
    }
    for (const char c : part) {
        if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
            return false;
        }
    }
    return true;
}

// One numeric part as inet_aton reads it: 0x hex, leading-0 octal, else decimal. nullopt when the
// digits do not fit the base (an 8 in octal) or the value exceeds 32 bits.
std::optional<std::uint64_t> partValue(std::string_view part) {
    int base = 10;
    if (isHexPrefix(part)) {
        base = 16;
        part.remove_prefix(2);
        if (part.empty()) {
            return 0; // inet_aton reads a bare "0x" as zero
        }
    } else if (part.size() > 1 && part[0] == '0') {
        base = 8;
        part.remove_prefix(1);
    }
    std::uint64_t value = 0;
    const auto* end = part.data() + part.size();
    const auto parsed = std::from_chars(part.data(), end, value, base);
    if (parsed.ec != std::errc() || parsed.ptr != end || value > kMaxIpv4) {
        return std::nullopt;
    }
    return value;
}

Error numericHostError(std::string_view host) {
    return makeError(exitcode::kInvalidArgument,
                     "host '" + std::string(host.substr(0, 64)) +
                         "' is written as a number but is no IPv4 address");
}

} // namespace

std::string Destination::hostPort() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<std::optional<boost::asio::ip::address_v4>> parseNumericIpv4(std::string_view host) {
    const auto parts = splitLabels(host);
    for (const auto part : parts) {
        if (!looksNumeric(part)) {
            return std::optional<boost::asio::ip::address_v4>{};
        }
    }
    if (parts.size() > 4) {
        return numericHostError(host);
    }
    std::uint64_t address = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto value = partValue(parts[i]);
        const bool last = i + 1 == parts.size();
        // Every part but the last is one byte; the last fills the bytes that remain.
        const std::uint64_t limit = last ? (kMaxIpv4 >> (8 * i)) : 0xFF;
        if (!value || *value > limit) {
            return numericHostError(host);
        }
        address |= last ? *value : *value << (8 * (3 - i));
    }
    return std::optional<boost::asio::ip::address_v4>(
        boost::asio::ip::address_v4(static_cast<std::uint32_t>(address)));
}

Result<Destination> makeDestination(std::string_view host, std::uint16_t port) {
    Destination destination;
    destination.port = port;
    if (host.find(':') != std::string_view::npos) {
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address_v6(std::string(host), ec);
        if (ec || address.scope_id() != 0 || host.find('%') != std::string_view::npos) {
            return makeError(exitcode::kInvalidArgument, "malformed IPv6 address");
        }
        destination.address = boost::asio::ip::address(address);
        destination.host = address.to_string();
        return destination;
    }
    std::string name(host);
    for (char& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    // "example.com." is "example.com"; a resolver treats the fully qualified form the same way.
    if (!name.empty() && name.back() == '.') {
        name.pop_back();
    }
    if (name.empty()) {
        return makeError(exitcode::kInvalidArgument, "empty host");
    }
    BOOST_OUTCOME_TRY(numeric, parseNumericIpv4(name));
    if (numeric) {
        destination.address = boost::asio::ip::address(*numeric);
        destination.host = numeric->to_string();
        return destination;
    }
    if (!validHostName(name)) {
        return makeError(exitcode::kInvalidArgument,
                         "malformed host name '" + name.substr(0, 64) + "'");
    }
    // A name whose last label is a number is either an IPv4 address in a form we did not read, or
    // no name at all (no top-level domain is numeric): refused rather than guessed at.
    if (looksNumeric(splitLabels(name).back())) {
        return numericHostError(name);
    }
    destination.host = std::move(name);
    return destination;
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
        if (host.find(':') == std::string_view::npos) {
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
    }
    unsigned port = 0;
    const auto* end = port_text.data() + port_text.size();
    const auto parsed = std::from_chars(port_text.data(), end, port);
    if (port_text.empty() || parsed.ec != std::errc() || parsed.ptr != end || port == 0 ||
        port > 65535) {
        return makeError(exitcode::kInvalidArgument, "malformed port in CONNECT");
    }
    auto destination = makeDestination(host, static_cast<std::uint16_t>(port));
    if (!destination) {
        return makeError(exitcode::kInvalidArgument, "CONNECT: " + destination.error().message);
    }
    return destination;
}

} // namespace azcm::arcproxy
