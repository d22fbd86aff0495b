#include "common/http/proxy_url.hpp"

#include "common/crypto/encoding.hpp"

namespace azcm::http {

namespace {

// The user information of an absolute URL: [begin, at) of `text`, or npos when there is none.
std::pair<std::size_t, std::size_t> userInfoRange(std::string_view text) {
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return {std::string_view::npos, std::string_view::npos};
    }
    const std::size_t begin = scheme_end + 3;
    const auto authority_end = text.find_first_of("/?#", begin);
    const std::string_view authority = text.substr(begin, authority_end - begin);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) {
        return {std::string_view::npos, std::string_view::npos};
    }
    return {begin, begin + at};
}

} // namespace

std::string redactProxyUrl(std::string_view text) {
    const auto [begin, at] = userInfoRange(text);
    if (begin == std::string_view::npos) {
        return std::string(text);
    }
    return std::string(text.substr(0, begin)) + "***" + std::string(text.substr(at));
}

Result<ProxyUrl> parseProxyUrl(std::string_view text) {
    const std::string shown = redactProxyUrl(text);
    auto refuse = [&shown](const std::string& why) -> Result<ProxyUrl> {
        return makeError(exitcode::kInvalidArgument, "invalid proxy URL " + shown + ": " + why);
    };
    ProxyUrl proxy;
    std::string without_credentials(text);
    const auto [begin, at] = userInfoRange(text);
    if (begin != std::string_view::npos) {
        const std::string_view user_info = text.substr(begin, at - begin);
        const auto colon = user_info.find(':');
        auto user = percentDecode(user_info.substr(0, colon), false);
        auto password = colon == std::string_view::npos
                            ? Result<std::string>(std::string())
                            : percentDecode(user_info.substr(colon + 1), false);
        if (!user || !password || user.value().empty()) {
            return refuse("bad user information");
        }
        proxy.authorization =
            "Basic " + crypto::base64Encode(user.value() + ":" + password.value());
        without_credentials = std::string(text.substr(0, begin)) + std::string(text.substr(at + 1));
    }
    auto parsed = parseUrl(without_credentials);
    if (!parsed) {
        return refuse("not an absolute http URL");
    }
    if (parsed.value().scheme != "http") {
        return refuse("the scheme must be http (the tunnel to the service is TLS already)");
    }
    if (parsed.value().target != "/") {
        return refuse("a proxy URL has no path or query");
    }
    proxy.endpoint = std::move(parsed).value();
    return proxy;
}

} // namespace azcm::http
