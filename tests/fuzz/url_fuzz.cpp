// URLs from configuration and from the network: absolute http(s) URLs (cloud.json endpoints,
// package URLs of goal states, arcproxy's absolute-form targets), query strings and percent
// escapes (IMDS requests), and forward-proxy URLs (`proxy.url`, HTTPS_PROXY), whose credentials
// must never appear in what is shown or logged.
#include "common/http/proxy_url.hpp"
#include "common/http/url.hpp"
#include "fuzz_support.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace {

void checkUrl(std::string_view text) {
    auto url = azcm::http::parseUrl(text);
    if (!url) {
        return;
    }
    const auto& value = url.value();
    AZCM_FUZZ_CHECK(value.scheme == "http" || value.scheme == "https");
    AZCM_FUZZ_CHECK(!value.host.empty());
    AZCM_FUZZ_CHECK(!value.target.empty() && value.target.front() == '/');
    // The parts put together read back as the same URL (requests are built from them).
    auto again = azcm::http::parseUrl(value.origin() + value.target);
    AZCM_FUZZ_CHECK(again);
    AZCM_FUZZ_CHECK(again.value().host == value.host);
    AZCM_FUZZ_CHECK(again.value().port == value.port);
    AZCM_FUZZ_CHECK(again.value().target == value.target);
}

void checkEncoding(std::string_view text) {
    auto decoded = azcm::http::percentDecode(azcm::http::urlEncode(text), false);
    AZCM_FUZZ_CHECK(decoded && decoded.value() == text);
    (void)azcm::http::percentDecode(text, true);
    const auto [path, query] = azcm::http::splitTarget(text);
    AZCM_FUZZ_CHECK(path.size() + query.size() <= text.size());
    auto parsed = azcm::http::parseQuery(query);
    if (parsed) {
        for (const auto& [key, value] : parsed.value()) {
            AZCM_FUZZ_CHECK(!key.empty());
            (void)value;
        }
    }
}

// The password of "scheme://user:password@...", when it is long enough and appears only there to
// be recognisable in an output.
std::string_view recognisablePassword(std::string_view text) {
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return {};
    }
    const auto at = text.find('@', scheme_end);
    const auto colon = text.find(':', scheme_end + 3);
    if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) {
        return {};
    }
    const auto user_info = text.substr(scheme_end + 3, at - scheme_end - 3);
    const auto password = text.substr(colon + 1, at - colon - 1);
    if (password.size() < 8 || text.find(password) != text.rfind(password) ||
        user_info.find_first_of("/?#") != std::string_view::npos) {
        return {};
    }
    return password;
}

// Why parseProxyUrl refuses a URL: its own words, never anything taken from the URL.
bool isOwnReason(std::string_view reason) {
    static constexpr std::array<std::string_view, 4> kReasons = {
        "bad user information",
        "not an absolute http URL",
        "the scheme must be http (the tunnel to the service is TLS already)",
        "a proxy URL has no path or query",
    };
    return std::find(kReasons.begin(), kReasons.end(), reason) != kReasons.end();
}

void checkProxyUrl(std::string_view text) {
    const auto shown = azcm::http::redactProxyUrl(text);
    auto proxy = azcm::http::parseProxyUrl(text);
    const auto password = recognisablePassword(text);
    if (!password.empty()) {
        AZCM_FUZZ_CHECK(shown.find(password) == std::string::npos);
    }
    if (!proxy) {
        // The refusal holds the URL only in its redacted form. (Checking it for the password
        // itself is not enough: fuzzed passwords are often made of the refusal's own words.)
        const std::string prefix = "invalid proxy URL " + shown + ": ";
        const auto& message = proxy.error().message;
        AZCM_FUZZ_CHECK(message.starts_with(prefix));
        AZCM_FUZZ_CHECK(isOwnReason(std::string_view(message).substr(prefix.size())));
        return;
    }
    AZCM_FUZZ_CHECK(proxy.value().endpoint.scheme == "http");
    AZCM_FUZZ_CHECK(proxy.value().endpoint.target == "/");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = azcm::fuzz::asText(data, size);
    checkUrl(text);
    checkEncoding(text);
    checkProxyUrl(text);
    return 0;
}
