#include "azcmagent/address_class.hpp"

#include <boost/asio/ip/address.hpp>

namespace azcm::azcmagent {

namespace {

bool isPrivateV4(const boost::asio::ip::address_v4& address) {
    const auto bytes = address.to_bytes();
    return bytes[0] == 10 ||                               // 10.0.0.0/8
           (bytes[0] == 172 && (bytes[1] & 0xf0) == 16) || // 172.16.0.0/12
           (bytes[0] == 192 && bytes[1] == 168) ||         // 192.168.0.0/16
           bytes[0] == 127 ||                              // loopback
           (bytes[0] == 169 && bytes[1] == 254);           // link-local
}

bool isPrivateV6(const boost::asio::ip::address_v6& address) {
    if (address.is_v4_mapped()) {
        return isPrivateV4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address));
    }
    const auto bytes = address.to_bytes();
    return address.is_loopback() ||                           // ::1
           (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) || // fe80::/10 link-local
           (bytes[0] & 0xfe) == 0xfc;                         // fc00::/7 unique local
}

} // namespace

std::optional<bool> isPrivateAddress(std::string_view address) {
    boost::system::error_code ec;
    const auto parsed = boost::asio::ip::make_address(std::string(address), ec);
    if (ec) {
        return std::nullopt;
    }
    return parsed.is_v4() ? isPrivateV4(parsed.to_v4()) : isPrivateV6(parsed.to_v6());
}

std::optional<bool> allPrivate(const std::vector<std::string>& addresses) {
    if (addresses.empty()) {
        return std::nullopt;
    }
    for (const auto& address : addresses) {
        const auto is_private = isPrivateAddress(address);
        if (!is_private) {
            return std::nullopt;
        }
        if (!*is_private) {
            return false;
        }
    }
    return true;
}

} // namespace azcm::azcmagent
