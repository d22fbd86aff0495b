#pragma once
// Forward-proxy URLs (`proxy.url`, HTTPS_PROXY): `http://[user:password@]host[:port][/]`. The
// credentials become a Proxy-Authorization header for CONNECT and never appear in errors or logs.
#include "common/error.hpp"
#include "common/http/url.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace azcm::http {

struct ProxyUrl {
    Url endpoint;                             // scheme "http", host, port (80 when omitted)
    std::optional<std::string> authorization; // "Basic <base64(user:password)>"
};

// Refuses other schemes, paths, queries and fragments. Error messages show the URL redacted.
Result<ProxyUrl> parseProxyUrl(std::string_view text);

// The URL with any user information replaced by "***" ("http://***@proxy:3128"), for logs,
// errors and `azcmagent show`/`config` output.
std::string redactProxyUrl(std::string_view text);

} // namespace azcm::http
