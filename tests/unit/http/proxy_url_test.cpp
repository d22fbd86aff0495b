// Proxy URLs: credentials become a Proxy-Authorization header and never show up in errors.
#include "common/http/proxy_url.hpp"

#include <gtest/gtest.h>

namespace {

using azcm::http::parseProxyUrl;
using azcm::http::redactProxyUrl;

TEST(ProxyUrl, PlainHostAndPort) {
    const auto proxy = parseProxyUrl("http://proxy.corp:3128");
    ASSERT_TRUE(proxy) << proxy.error().message;
    EXPECT_EQ(proxy.value().endpoint.host, "proxy.corp");
    EXPECT_EQ(proxy.value().endpoint.port, 3128);
    EXPECT_FALSE(proxy.value().authorization);
    EXPECT_EQ(parseProxyUrl("http://10.0.0.1/").value().endpoint.port, 80);
}

TEST(ProxyUrl, CredentialsBecomeBasicAuthorization) {
    const auto proxy = parseProxyUrl("http://svc%40corp:p%3Ass@proxy:8080");
    ASSERT_TRUE(proxy) << proxy.error().message;
    // base64("svc@corp:p:ss")
    EXPECT_EQ(proxy.value().authorization.value(), "Basic c3ZjQGNvcnA6cDpzcw==");
    EXPECT_EQ(proxy.value().endpoint.hostPort(), "proxy:8080");
}

TEST(ProxyUrl, RefusalsNeverShowTheSecret) {
    for (const char* bad : {"https://user:s3cret@proxy:443", "ftp://user:s3cret@proxy",
                            "http://user:s3cret@proxy:8080/path", "http://user:s3cret@",
                            "http://:s3cret@proxy", "http://user:s3cret@proxy:99999"}) {
        const auto proxy = parseProxyUrl(bad);
        ASSERT_FALSE(proxy) << bad;
        EXPECT_EQ(proxy.error().message.find("s3cret"), std::string::npos) << proxy.error().message;
    }
}

TEST(ProxyUrl, Redaction) {
    EXPECT_EQ(redactProxyUrl("http://user:pw@proxy:3128"), "http://***@proxy:3128");
    EXPECT_EQ(redactProxyUrl("http://proxy:3128"), "http://proxy:3128");
    EXPECT_EQ(redactProxyUrl(""), "");
    EXPECT_EQ(redactProxyUrl("http://a@b@proxy"), "http://***@proxy");
}

} // namespace
