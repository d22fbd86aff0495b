// proxy.url over HTTPS_PROXY, and proxy.bypass decided by the service a call targets.
#include "common/config/proxy_policy.hpp"

#include <gtest/gtest.h>

namespace {

using azcm::config::LocalConfig;
using azcm::config::ProxyPolicy;
using azcm::config::TargetService;

constexpr std::array kAll = {TargetService::kEntra, TargetService::kArm, TargetService::kArc,
                             TargetService::kAma, TargetService::kArcData};

TEST(ProxyPolicy, NothingConfiguredIsDirect) {
    const ProxyPolicy policy(LocalConfig{}, std::nullopt);
    for (const auto service : kAll) {
        EXPECT_FALSE(policy.proxyFor(service));
    }
    EXPECT_EQ(policy.describe(), "");
}

TEST(ProxyPolicy, ProxyUrlWinsOverTheEnvironment) {
    LocalConfig local;
    local.proxy_url = "http://agent-proxy:3128";
    const ProxyPolicy policy(local, std::string("http://env-proxy:8080"));
    for (const auto service : kAll) {
        EXPECT_EQ(policy.proxyFor(service).value(), "http://agent-proxy:3128");
    }
    const ProxyPolicy from_env(LocalConfig{}, std::string("http://env-proxy:8080"));
    EXPECT_EQ(from_env.proxyFor(TargetService::kArm).value(), "http://env-proxy:8080");
}

TEST(ProxyPolicy, BypassIsPerServiceAndCaseInsensitive) {
    LocalConfig local;
    local.proxy_url = "http://proxy:3128";
    local.proxy_bypass = {"arm", "AAD"};
    const ProxyPolicy policy(local, std::nullopt);
    EXPECT_FALSE(policy.proxyFor(TargetService::kArm));
    EXPECT_FALSE(policy.proxyFor(TargetService::kEntra));
    EXPECT_TRUE(policy.proxyFor(TargetService::kArc));
    EXPECT_TRUE(policy.proxyFor(TargetService::kAma));
    EXPECT_TRUE(policy.proxyFor(TargetService::kArcData));
}

TEST(ProxyPolicy, BypassAppliesToTheEnvironmentProxyToo) {
    LocalConfig local;
    local.proxy_bypass = {"Arc"};
    const ProxyPolicy policy(local, std::string("http://env-proxy:8080"));
    EXPECT_FALSE(policy.proxyFor(TargetService::kArc));
    EXPECT_TRUE(policy.proxyFor(TargetService::kArm));
}

TEST(ProxyPolicy, DescribeRedactsCredentials) {
    LocalConfig local;
    local.proxy_url = "http://svc:hunter2@proxy:3128";
    EXPECT_EQ(ProxyPolicy(local, std::nullopt).describe(), "http://***@proxy:3128");
}

TEST(ProxyPolicy, CanonicalNames) {
    EXPECT_EQ(azcm::config::canonicalBypassName("arcdata").value(), "ArcData");
    EXPECT_EQ(azcm::config::canonicalBypassName("aad").value(), "AAD");
    EXPECT_FALSE(azcm::config::canonicalBypassName("Storage"));
}

} // namespace
