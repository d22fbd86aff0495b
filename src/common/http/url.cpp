#include "common/http/url.hpp"

#include <array>
#include <cctype>
#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace azcm::http {

namespace {

// Text from the network may end up in logs: keep it short and printable.
std::string printable(std::string_view text) {
    std::string shown(text.substr(0, 200));
    for (char& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
            c = '?';
        }
    }
    return shown;
}

Error urlError(std::string_view text, std::string_view why) {
    return makeError(exitcode::kInvalidArgument,
                     "invalid URL '" + printable(text) + "': " + std::string(why));
}

std::string toLower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// Registered names: letters, digits, '-', '.', '_' (the last for some internal DNS names).
bool isValidRegName(std::string_view host) {
    if (host.empty() || host.size() > 253) {
        return false;
    }
    for (char c : host) {
        const bool ok =
            std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::string Url::hostPort() const {
    if (host.find(':') != std::string::npos) {
        return "[" + host + "]:" + std::to_string(port);
    }
    return host + ":" + std::to_string(port);
}

std::string Url::origin() const {
    return scheme + "://" + hostPort();
}

Result<Url> parseUrl(std::string_view text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        // Non-ASCII must arrive percent-encoded; spaces and controls never belong in a URL.
        if (u <= 0x20 || u >= 0x7f) {
            return urlError(text, "contains spaces, control or non-ASCII characters");
        }
    }
    if (text.find('#') != std::string_view::npos) {
        return urlError(text, "fragments are not allowed");
    }
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return urlError(text, "missing scheme");
    }
    Url url;
    url.scheme = toLower(text.substr(0, scheme_end));
    if (url.scheme == "https") {
        url.port = 443;
    } else if (url.scheme == "http") {
        url.port = 80;
    } else {
        return urlError(text, "only http and https are supported");
    }

    const std::string_view rest = text.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, authority_end);
    if (authority.find('@') != std::string_view::npos) {
        return urlError(text, "user information is not allowed");
    }

    std::string_view host;
    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return urlError(text, "unterminated IPv6 literal");
        }
        host = authority.substr(1, close - 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return urlError(text, "unexpected characters after IPv6 literal");
            }
            has_port = true;
            port_text = after.substr(1);
        }
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address_v6(std::string(host), ec);
        if (ec || address.scope_id() != 0) {
            return urlError(text, "invalid IPv6 literal");
        }
        url.host = toLower(host);
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            has_port = true;
            port_text = authority.substr(colon + 1);
        }
        if (host.empty()) {
            return urlError(text, "empty host");
        }
        if (!isValidRegName(host)) {
            return urlError(text, "invalid host name");
        }
        url.host = toLower(host);
    }
    if (url.host.empty()) {
        return urlError(text, "empty host");
    }
    if (has_port) {
        unsigned value = 0;
        const auto* first = port_text.data();
        const auto* last = port_text.data() + port_text.size();
        const auto [ptr, ec] = std::from_chars(first, last, value);
        if (port_text.empty() || port_text.size() > 5 || ec != std::errc() || ptr != last ||
            value == 0 || value > 65535) {
            return urlError(text, "invalid port");
        }
        url.port = static_cast<std::uint16_t>(value);
    }

    if (authority_end == std::string_view::npos) {
        url.target = "/";
    } else {
        const std::string_view target = rest.substr(authority_end);
        url.target = target.front() == '?' ? "/" + std::string(target) : std::string(target);
    }
    return url;
}

std::string urlEncode(std::string_view text) {
    static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                  '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    std::string out;
    out.reserve(text.size() * 3);
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 0x0f]);
        }
    }
    return out;
}

Result<std::string> percentDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= text.size()) {
                return makeError(exitcode::kInvalidArgument, "truncated percent escape");
            }
            const int high = hexValue(text[i + 1]);
            const int low = hexValue(text[i + 2]);
            if (high < 0 || low < 0) {
                return makeError(exitcode::kInvalidArgument, "invalid percent escape");
            }
            out.push_back(static_cast<char>((high << 4) | low));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Result<std::string> urlDecode(std::string_view text) {
    return percentDecode(text, true);
}

Result<std::map<std::string, std::string>> parseQuery(std::string_view query) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const auto eq = pair.find('=');
        auto key = urlDecode(pair.substr(0, eq));
        if (!key) {
            return key.error();
        }
        auto value =
            urlDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!value) {
            return value.error();
        }
        if (key.value().empty()) {
            return makeError(exitcode::kInvalidArgument, "query parameter with an empty name");
        }
        if (out.count(key.value()) != 0) {
            return makeError(exitcode::kInvalidArgument,
                             "duplicate query parameter '" + printable(key.value()) + "'");
        }
        out.emplace(std::move(key).value(), std::move(value).value());
    }
    return out;
}

std::pair<std::string_view, std::string_view> splitTarget(std::string_view target) {
    const auto question = target.find('?');
    if (question == std::string_view::npos) {
        return {target, {}};
    }
    return {target.substr(0, question), target.substr(question + 1)};
}

} // namespace azcm::http
