#include "common/config/value_parsers.hpp"

#include "common/config/ascii_text.hpp"
#include "common/config/extension_policy.hpp"
#include "common/http/proxy_url.hpp"
#include "common/json/json_fields.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include <boost/asio/ip/address_v6.hpp>

namespace azcm::config {

using nlohmann::json;

namespace {

Error invalidInFile(std::string_view key, const std::string& why) {
    return makeError(exitcode::kInvalidArgument, "AZCM0023: invalid value for " + std::string(key) +
                                                     " in localconfig.json: " + why);
}

// "a or b", "a, b or c".
std::string orList(std::span<const std::string_view> choices) {
    std::string out;
    for (std::size_t i = 0; i < choices.size(); ++i) {
        out += i == 0 ? "" : (i + 1 == choices.size() ? " or " : ", ");
        out += choices[i];
    }
    return out;
}

// Digits only, no sign, within [low, high].
std::optional<int> parseBoundedInt(std::string_view text, int low, int high) {
    if (text.empty() || text.size() > 6 || !std::all_of(text.begin(), text.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
        return std::nullopt;
    }
    int value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    if (value < low || value > high) {
        return std::nullopt;
    }
    return value;
}

bool isHostCharacter(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

bool validUserinfo(std::string_view userinfo) {
    return !userinfo.empty() && std::none_of(userinfo.begin(), userinfo.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f || c == '@';
    });
}

Result<std::string> extensionEntry(std::string_view key, std::string_view entry, bool allow_none) {
    if (!isValidExtensionEntry(entry)) {
        return invalidText(key, "'" + std::string(entry) +
                                    "' is not Publisher/Type (letters, digits, '.', '_', '-')");
    }
    if (sameExtension(entry, kAllowNone)) {
        if (!allow_none) {
            return invalidText(key, "Allow/None belongs in extensions.allowlist");
        }
        return std::string(kAllowNone);
    }
    return std::string(entry);
}

} // namespace

Error invalidText(std::string_view key, const std::string& why) {
    const std::string name(key);
    return makeError(exitcode::kInvalidArgument, "invalid value for " + name + ": " + why +
                                                     " (see 'azcmagent config info " + name + "')");
}

Result<json> boolFromText(std::string_view key, std::string_view text) {
    const auto lowered = asciiLower(text);
    if (lowered == "true") {
        return json(true);
    }
    if (lowered == "false") {
        return json(false);
    }
    return invalidText(key, "'" + std::string(text) + "' is not true or false");
}

Result<json> boolFromFile(std::string_view key, const json& value) {
    if (value.is_boolean()) {
        return value;
    }
    if (value == "true" || value == "false") {
        return json(value == "true");
    }
    return invalidInFile(key, "true or false expected");
}

Result<json> delayMinutesFromText(std::string_view key, std::string_view text) {
    const auto value = parseBoundedInt(text, 0, 1440);
    if (!value) {
        return invalidText(key, "'" + std::string(text) + "' is not an integer from 0 to 1440");
    }
    return json(*value);
}

Result<json> delayMinutesFromFile(std::string_view key, const json& value) {
    BOOST_OUTCOME_TRY(minutes, jsondoc::withCode(jsondoc::asInteger<int>(
                                                     value, 0, 1440,
                                                     "AZCM0023: invalid value for " +
                                                         std::string(key) + " in localconfig.json"),
                                                 exitcode::kInvalidArgument));
    return json(minutes);
}

Result<json> percentFromText(std::string_view key, std::string_view text) {
    const auto value = parseBoundedInt(text, 1, 100);
    if (!value) {
        return invalidText(key, "'" + std::string(text) + "' is not an integer from 1 to 100");
    }
    return json(*value);
}

// Range-checked before narrowing: 4294967297 is refused, not read as 1.
Result<json> percentFromFile(std::string_view key, const json& value) {
    BOOST_OUTCOME_TRY(percent, jsondoc::withCode(jsondoc::asInteger<int>(
                                                     value, 1, 100,
                                                     "AZCM0023: invalid value for " +
                                                         std::string(key) + " in localconfig.json"),
                                                 exitcode::kInvalidArgument));
    return json(percent);
}

Result<json> choiceFromText(std::string_view key,
                            std::string_view text,
                            std::span<const std::string_view> choices) {
    const auto value = asciiLower(text);
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
        return invalidText(key, "'" + std::string(text) + "' is not " + orList(choices));
    }
    return json(value);
}

Result<json>
choiceFromFile(std::string_view key, const json& value, std::span<const std::string_view> choices) {
    BOOST_OUTCOME_TRY(text, stringFromFile(key, value));
    if (std::find(choices.begin(), choices.end(), text.get<std::string>()) == choices.end()) {
        return invalidInFile(key, orList(choices) + " expected");
    }
    return text;
}

Result<json> connectionTypeFromFile(std::string_view key, const json& value) {
    if (value == "default") {
        return json("direct");
    }
    return choiceFromFile(key, value, kConnectionTypes);
}

// One trailing '/' is dropped; stored with a lower-case scheme, otherwise as given.
Result<json> proxyUrlFromText(std::string_view key, std::string_view text) {
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return invalidText(key, "an http://host[:port] URL expected");
    }
    const auto scheme = asciiLower(text.substr(0, scheme_end));
    if (scheme == "https") {
        return invalidText(key, "https proxies are not supported; use http://host[:port]");
    }
    if (scheme != "http") {
        return invalidText(key, "the scheme must be http");
    }
    auto rest = text.substr(scheme_end + 3);
    if (!rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
    }
    if (rest.find_first_of("/?#") != std::string_view::npos) {
        return invalidText(key, "a path, query or fragment is not allowed");
    }
    std::string userinfo;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        if (!validUserinfo(rest.substr(0, at))) {
            return invalidText(key, "malformed user information before '@'");
        }
        userinfo = std::string(rest.substr(0, at)) + "@";
        rest = rest.substr(at + 1);
    }
    std::string_view host;
    std::string_view port_part;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            return invalidText(key, "unterminated IPv6 address");
        }
        const std::string address(rest.substr(1, close - 1));
        // A zone ("%eth0") is not part of a URL's host.
        boost::system::error_code not_an_address;
        boost::asio::ip::make_address_v6(address, not_an_address);
        if (not_an_address || address.find('%') != std::string::npos) {
            return invalidText(key, "'" + address + "' is not an IPv6 address");
        }
        host = rest.substr(0, close + 1);
        port_part = rest.substr(close + 1);
    } else {
        const auto colon = rest.find(':');
        host = rest.substr(0, colon);
        port_part = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
        if (host.empty() || !std::all_of(host.begin(), host.end(), isHostCharacter) ||
            host.front() == '.' || host.front() == '-') {
            return invalidText(key, "'" + std::string(host) + "' is not a host name or address");
        }
    }
    if (!port_part.empty()) {
        if (port_part.front() != ':' || !parseBoundedInt(port_part.substr(1), 1, 65535)) {
            return invalidText(key, "the port must be a number from 1 to 65535");
        }
    }
    auto url = "http://" + userinfo + std::string(host) + std::string(port_part);
    // What the daemons' HTTPS client will make of it: accepted here only if usable there.
    if (auto usable = http::parseProxyUrl(url); !usable) {
        return invalidText(key, usable.error().message);
    }
    return json(std::move(url));
}

Result<json> stringFromFile(std::string_view key, const json& value) {
    if (!value.is_string()) {
        return invalidInFile(key, "a string expected");
    }
    return value;
}

Result<std::string> portEntry(std::string_view key, std::string_view entry) {
    const auto port = parseBoundedInt(entry, 1, 65535);
    if (!port) {
        return invalidText(key, "'" + std::string(entry) + "' is not a port from 1 to 65535");
    }
    return std::to_string(*port);
}

Result<std::string> proxyBypassEntry(std::string_view key, std::string_view entry) {
    static const char* const kServices[] = {"AAD", "ARM", "Arc", "AMA", "ArcData"};
    for (const char* service : kServices) {
        if (asciiLower(entry) == asciiLower(service)) {
            return std::string(service);
        }
    }
    return invalidText(key, "'" + std::string(entry) +
                                "' is not a service name (AAD, ARM, Arc, AMA, ArcData)");
}

Result<std::string> allowlistEntry(std::string_view key, std::string_view entry) {
    return extensionEntry(key, entry, true);
}

Result<std::string> blocklistEntry(std::string_view key, std::string_view entry) {
    return extensionEntry(key, entry, false);
}

Result<json> listFromText(std::string_view key, std::string_view text, EntryParser parse_entry) {
    std::vector<std::string> entries;
    std::size_t start = 0;
    while (true) {
        const auto comma = text.find(',', start);
        const auto item = trimSpace(text.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (item.empty()) {
            return invalidText(key, "empty list entry (use 'azcmagent config clear " +
                                        std::string(key) + "' for an empty list)");
        }
        BOOST_OUTCOME_TRY(entry, parse_entry(key, item));
        const bool duplicate = std::any_of(entries.begin(), entries.end(),
                                           [&](const auto& e) { return sameExtension(e, entry); });
        if (!duplicate) {
            entries.push_back(std::move(entry));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return json(entries);
}

Result<json> listFromFile(std::string_view key, const json& value) {
    if (!value.is_array()) {
        return invalidInFile(key, "a list expected");
    }
    for (const auto& item : value) {
        if (!item.is_string()) {
            return invalidInFile(key, "a list of strings expected");
        }
    }
    return value;
}

} // namespace azcm::config
