#include "common/http/http_types.hpp"
#include "common/http/https_client.hpp"
#include "common/http/url.hpp"

#include <gtest/gtest.h>

namespace azcm::http {
namespace {

struct GoodUrl {
    const char* text;
    const char* scheme;
    const char* host;
    std::uint16_t port;
    const char* target;
};

TEST(ParseUrl, AcceptsWellFormedUrls) {
    const GoodUrl cases[] = {
        {"https://example.com", "https", "example.com", 443, "/"},
        {"http://example.com", "http", "example.com", 80, "/"},
        {"HTTPS://Example.COM/a/b?x=1", "https", "example.com", 443, "/a/b?x=1"},
        {"https://example.com:8443/path", "https", "example.com", 8443, "/path"},
        {"https://127.0.0.1:1/", "https", "127.0.0.1", 1, "/"},
        {"https://[::1]:65535/x", "https", "::1", 65535, "/x"},
        {"https://[2001:db8::1]/", "https", "2001:db8::1", 443, "/"},
        {"https://host?q=1", "https", "host", 443, "/?q=1"},
        {"http://my_host-1.internal:80/a%20b", "http", "my_host-1.internal", 80, "/a%20b"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        auto url = parseUrl(c.text);
        ASSERT_TRUE(url) << url.error().message;
        EXPECT_EQ(url.value().scheme, c.scheme);
        EXPECT_EQ(url.value().host, c.host);
        EXPECT_EQ(url.value().port, c.port);
        EXPECT_EQ(url.value().target, c.target);
    }
}

TEST(ParseUrl, RejectsMalformedOrDangerousUrls) {
    const char* cases[] = {
        "",
        "example.com",
        "ftp://example.com/",
        "file:///etc/passwd",
        "https://",
        "https:///path",
        "https://:443/",
        "https://user@example.com/",
        "https://user:pass@example.com/",
        "https://example.com/#fragment",
        "https://example.com/a b",
        "https://example.com/\r\nX-Injected: 1",
        "https://exa\tmple.com/",
        "https://example.com:/",
        "https://example.com:0/",
        "https://example.com:65536/",
        "https://example.com:12a/",
        "https://example.com:-1/",
        "https://[::1/",
        "https://[::1]x/",
        "https://[not-ipv6]/",
        "https://exa%6dple.com/",
        "https://example.com/\x7f",
        "https://ex\xc3\xa4mple.com/",
    };
    for (const char* text : cases) {
        SCOPED_TRACE(text);
        auto url = parseUrl(text);
        EXPECT_FALSE(url);
        if (!url) {
            EXPECT_EQ(url.error().code, exitcode::kInvalidArgument);
        }
    }
}

TEST(ParseUrl, HostPortAndOriginBracketIpv6) {
    auto v6 = parseUrl("https://[::1]:8443/");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6.value().hostPort(), "[::1]:8443");
    EXPECT_EQ(v6.value().origin(), "https://[::1]:8443");
    auto name = parseUrl("http://localhost/");
    ASSERT_TRUE(name);
    EXPECT_EQ(name.value().hostPort(), "localhost:80");
}

TEST(UrlEncode, KeepsUnreservedAndEscapesTheRest) {
    EXPECT_EQ(urlEncode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(urlEncode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
    EXPECT_EQ(urlEncode("\xc3\xa4"), "%C3%A4");
    EXPECT_EQ(urlEncode(std::string_view("\0", 1)), "%00");
}

TEST(UrlDecode, DecodesEscapesAndPlus) {
    auto decoded = urlDecode("a%20b+c%2f%2F");
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), "a b c//");
    const std::string original = "https://management.azure.com/.default?x=1&y=ä";
    auto round_trip = urlDecode(urlEncode(original));
    ASSERT_TRUE(round_trip);
    EXPECT_EQ(round_trip.value(), original);
}

TEST(UrlDecode, RejectsBadEscapes) {
    for (const char* text : {"%", "%2", "abc%", "%zz", "%g0", "a%2"}) {
        SCOPED_TRACE(text);
        EXPECT_FALSE(urlDecode(text));
    }
}

TEST(ParseQuery, SplitsAndDecodes) {
    auto query = parseQuery("api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net&flag");
    ASSERT_TRUE(query) << query.error().message;
    const auto& map = query.value();
    ASSERT_EQ(map.size(), 3U);
    EXPECT_EQ(map.at("api-version"), "2018-02-01");
    EXPECT_EQ(map.at("resource"), "https://vault.azure.net");
    EXPECT_EQ(map.at("flag"), "");
    auto empty = parseQuery("");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty.value().empty());
}

TEST(ParseQuery, RejectsDuplicateKeysEvenWhenEncodedDifferently) {
    auto plain = parseQuery("resource=a&resource=b");
    ASSERT_FALSE(plain);
    EXPECT_EQ(plain.error().code, exitcode::kInvalidArgument);
    EXPECT_NE(plain.error().message.find("duplicate"), std::string::npos);
    EXPECT_FALSE(parseQuery("resource=a&r%65source=b"));
}

TEST(ParseQuery, RejectsBadEscapesAndEmptyNames) {
    EXPECT_FALSE(parseQuery("a=%zz"));
    EXPECT_FALSE(parseQuery("%=1"));
    EXPECT_FALSE(parseQuery("=1"));
}

TEST(SplitTarget, SeparatesPathAndQuery) {
    EXPECT_EQ(splitTarget("/metadata/identity/oauth2/token?api-version=1&x=2"),
              std::make_pair(std::string_view("/metadata/identity/oauth2/token"),
                             std::string_view("api-version=1&x=2")));
    EXPECT_EQ(splitTarget("/status"),
              std::make_pair(std::string_view("/status"), std::string_view()));
    EXPECT_EQ(splitTarget("/a?"), std::make_pair(std::string_view("/a"), std::string_view()));
}

TEST(BackoffCeiling, DoublesFromInitialAndCapsAtMax) {
    RetryPolicy policy;
    policy.initial_backoff = std::chrono::milliseconds(500);
    policy.max_backoff = std::chrono::milliseconds(3000);
    EXPECT_EQ(backoffCeiling(policy, 1), std::chrono::milliseconds(500));
    EXPECT_EQ(backoffCeiling(policy, 2), std::chrono::milliseconds(1000));
    EXPECT_EQ(backoffCeiling(policy, 3), std::chrono::milliseconds(2000));
    EXPECT_EQ(backoffCeiling(policy, 4), std::chrono::milliseconds(3000));
    EXPECT_EQ(backoffCeiling(policy, 1000), std::chrono::milliseconds(3000));
}

TEST(HttpDate, IsImfFixdate) {
    // 1994-11-06T08:49:37Z, the example of RFC 9110.
    const auto time = std::chrono::system_clock::time_point(std::chrono::seconds(784111777));
    EXPECT_EQ(azcm::http::httpDate(time), "Sun, 06 Nov 1994 08:49:37 GMT");
}

} // namespace
} // namespace azcm::http
