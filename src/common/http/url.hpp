#pragma once
#include "common/error.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace azcm::http {

struct Url {
    std::string scheme; // "https" or "http", lower case
    std::string host;   // without brackets for IPv6 literals
    std::uint16_t port = 0;
    std::string target; // path + query, at least "/"

    std::string hostPort() const; // host:port, IPv6 literal in brackets
    std::string origin() const;   // scheme://host:port
};

// Parses an absolute http(s) URL; rejects user-info, fragments and control characters.
Result<Url> parseUrl(std::string_view text);

std::string urlEncode(std::string_view text);
// Decodes %XX escapes; '+' becomes a space only when `plus_is_space` (query and form encoding).
Result<std::string> percentDecode(std::string_view text, bool plus_is_space);
Result<std::string> urlDecode(std::string_view text); // percentDecode(text, true)

// Splits "a=1&b=2"; duplicate keys are an error, so no two parsers can disagree on which value
// counts.
Result<std::map<std::string, std::string>> parseQuery(std::string_view query);

// Splits a request target into path and query (without '?').
std::pair<std::string_view, std::string_view> splitTarget(std::string_view target);

} // namespace azcm::http
