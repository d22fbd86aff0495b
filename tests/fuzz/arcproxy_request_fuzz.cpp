// arcproxy's request head: what any local user sends to 127.0.0.1:40343. Parsed as the listener
// parses it (Beast, 8 KiB head limit, header only), then the target checked the way the listener
// checks it before any connection: CONNECT authorities, absolute http:// URLs, ports, and IP
// literals against the address policy, with the production and the sandbox rules.
#include "arcproxy/destination_policy.hpp"
#include "common/http/url.hpp"
#include "fuzz_support.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

namespace {

namespace bhttp = boost::beast::http;
using azcm::arcproxy::DestinationRules;

// The listener's head limit (kMaxRequestHeaderBytes in proxy_listener.cpp).
constexpr std::uint32_t kHeadLimit = 8 * 1024;

void checkDestination(const azcm::arcproxy::Destination& destination,
                      const DestinationRules& rules) {
    (void)azcm::arcproxy::checkDestinationPort(destination.port, rules);
    boost::system::error_code ec;
    const auto literal = boost::asio::ip::make_address(destination.host, ec);
    if (ec) {
        return;
    }
    const auto allowed = azcm::arcproxy::checkDestinationAddress(literal, rules);
    if (!allowed) {
        return;
    }
    // Whatever else the policy decides, loopback, unspecified and link-local (cloud metadata)
    // addresses never pass, also written as IPv4-mapped IPv6; loopback only in a sandbox.
    auto plain = literal;
    if (plain.is_v6() && plain.to_v6().is_v4_mapped()) {
        plain = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, plain.to_v6());
    }
    AZCM_FUZZ_CHECK(rules.allow_loopback || !plain.is_loopback());
    AZCM_FUZZ_CHECK(!plain.is_unspecified());
    AZCM_FUZZ_CHECK(!(plain.is_v4() && (plain.to_v4().to_uint() >> 16) == 0xA9FEU));
    AZCM_FUZZ_CHECK(!(plain.is_v6() && plain.to_v6().is_link_local()));
}

void checkTarget(bool tunnel, std::string_view target) {
    const DestinationRules production;
    DestinationRules sandbox;
    sandbox.allow_loopback = true;
    sandbox.allowed_ports.clear();
    if (tunnel) {
        auto parsed = azcm::arcproxy::parseConnectAuthority(target);
        if (!parsed) {
            return;
        }
        // What the proxy logs and connects to reads back as the same destination.
        auto again = azcm::arcproxy::parseConnectAuthority(parsed.value().hostPort());
        AZCM_FUZZ_CHECK(again);
        AZCM_FUZZ_CHECK(again.value().host == parsed.value().host);
        AZCM_FUZZ_CHECK(again.value().port == parsed.value().port);
        checkDestination(parsed.value(), production);
        checkDestination(parsed.value(), sandbox);
        return;
    }
    auto url = azcm::http::parseUrl(target);
    if (!url || url.value().scheme != "http") {
        return;
    }
    // Normalised as the listener does it (numeric forms become the address they name).
    const auto destination = azcm::arcproxy::makeDestination(url.value().host, url.value().port);
    if (!destination) {
        return;
    }
    checkDestination(destination.value(), production);
    checkDestination(destination.value(), sandbox);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(kHeadLimit);
    boost::beast::error_code ec;
    std::size_t offset = 0;
    while (!parser.is_header_done()) {
        if (offset == size) {
            return 0; // the bytes end before the head does
        }
        const auto used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
        offset += used;
        if (ec == bhttp::error::need_more && used > 0) {
            ec = {};
            continue;
        }
        if (ec || used == 0) {
            return 0;
        }
    }
    const auto& request = parser.get();
    const auto target = request.target();
    checkTarget(request.method() == bhttp::verb::connect,
                std::string_view(target.data(), target.size()));
    return 0;
}
