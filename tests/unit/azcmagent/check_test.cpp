#include "azcmagent/address_class.hpp"
#include "azcmagent/check_command.hpp"
#include "azcmagent/cli_error.hpp"
#include "azcmagent/connectivity_check.hpp"
#include "common/fs/atomic_file.hpp"
#include "fake_environment.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using std::chrono::system_clock;

TEST(AddressClass, Table) {
    const std::vector<std::pair<std::string, std::optional<bool>>> table{
        {"10.0.0.1", true},        {"10.255.255.255", true},
        {"172.16.0.1", true},      {"172.31.255.254", true},
        {"172.15.255.255", false}, {"172.32.0.1", false},
        {"192.168.1.1", true},     {"192.169.0.1", false},
        {"127.0.0.1", true},       {"127.8.9.10", true},
        {"169.254.169.254", true}, {"169.253.0.1", false},
        {"100.64.0.1", false},     {"8.8.8.8", false},
        {"20.42.73.1", false},     {"::1", true},
        {"fe80::1", true},         {"febf::1", true},
        {"fec0::1", false},        {"fc00::1", true},
        {"fd12:3456::1", true},    {"fe00::1", false},
        {"2001:db8::1", false},    {"::ffff:10.1.2.3", true},
        {"::ffff:8.8.8.8", false}, {"login.microsoftonline.com", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& [address, expected] : table) {
        EXPECT_EQ(isPrivateAddress(address), expected) << address;
    }
}

TEST(AddressClass, AllPrivateNeedsEveryAddress) {
    EXPECT_EQ(allPrivate({"127.0.0.1", "::1"}), true);
    EXPECT_EQ(allPrivate({"10.0.0.4", "20.1.2.3"}), false);
    EXPECT_EQ(allPrivate({}), std::nullopt);
}

TEST(ClockSkew, ParsesHttpDates) {
    const auto parsed = parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(system_clock::to_time_t(*parsed), 784111777);
    EXPECT_FALSE(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"));
    EXPECT_FALSE(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
    EXPECT_FALSE(parseHttpDate(""));
}

TEST(ClockSkew, SignAndLimit) {
    const auto server = system_clock::from_time_t(784111777);
    const std::string date = "Sun, 06 Nov 1994 08:49:37 GMT";

    auto ahead = computeSkew("https://arm", date, server + seconds(301));
    ASSERT_TRUE(ahead.skew);
    EXPECT_EQ(ahead.skew->count(), 301);
    EXPECT_TRUE(ahead.exceeds_limit);

    auto behind = computeSkew("https://arm", date, server - seconds(400));
    EXPECT_EQ(behind.skew->count(), -400);
    EXPECT_TRUE(behind.exceeds_limit);

    // The local fraction of a second does not count: the Date header has none.
    auto within =
        computeSkew("https://arm", date, server + seconds(300) + std::chrono::milliseconds(900));
    EXPECT_EQ(within.skew->count(), 300);
    EXPECT_FALSE(within.exceeds_limit);

    auto missing = computeSkew("https://arm", std::nullopt, server);
    EXPECT_FALSE(missing.skew);
    EXPECT_NE(missing.reason.find("no Date header"), std::string::npos);
    auto garbage = computeSkew("https://arm", std::string("yesterday"), server);
    EXPECT_FALSE(garbage.skew);
    EXPECT_FALSE(garbage.exceeds_limit);
}

TEST(EndpointPlan, PublicCloudWithRegion) {
    EndpointPlanInput input;
    input.cloud = config::azurePublicCloud();
    input.location = "westeurope";
    const auto plan = planEndpoints(input);
    std::vector<std::string> urls;
    for (const auto& endpoint : plan) {
        urls.push_back(endpoint.endpoint);
        EXPECT_TRUE(endpoint.required) << endpoint.endpoint;
    }
    const std::vector<std::string> expected{
        "https://login.microsoftonline.com",
        "https://management.azure.com",
        "https://pas.windows.net",
        "https://gbl.his.arc.azure.com",
        "https://agentserviceapi.guestconfiguration.azure.com",
        "https://westeurope.his.arc.azure.com",
        "https://westeurope-gas.guestconfiguration.azure.com",
    };
    EXPECT_EQ(urls, expected);
    EXPECT_EQ(plan[0].url,
              "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration");
    EXPECT_TRUE(plan[0].clock_source);
    EXPECT_TRUE(plan[1].clock_source);
    EXPECT_EQ(plan[1].target, config::TargetService::kArm);
    EXPECT_TRUE(plan[3].arc);
}

TEST(EndpointPlan, ExtensionsAndExtendedScenariosAreOptional) {
    EndpointPlanInput input;
    input.cloud = config::azurePublicCloud();
    input.location = "eastus";
    input.sql_extension = true;
    input.include_all = true;
    const auto plan = planEndpoints(input);
    ASSERT_EQ(plan.size(), 9U);
    EXPECT_EQ(plan[7].endpoint, "https://telemetry.eastus.arcdataservices.com");
    EXPECT_EQ(plan[7].target, config::TargetService::kArcData);
    EXPECT_FALSE(plan[7].required);
    EXPECT_EQ(plan[8].endpoint, "https://dls.microsoft.com");
    EXPECT_FALSE(plan[8].required);
}

TEST(EndpointPlan, CustomCloudHasItsFourEndpoints) {
    EndpointPlanInput input;
    input.cloud.name = "ArcEmulator";
    input.cloud.tenant_id = "t1";
    input.cloud.endpoints = {"https://127.0.0.1:9443", "https://127.0.0.1:9443",
                             "https://127.0.0.1:9443/his", "https://127.0.0.1:9443/gc"};
    input.builtin_cloud = false;
    input.location = "eastus";
    const auto plan = planEndpoints(input);
    ASSERT_EQ(plan.size(), 4U);
    EXPECT_EQ(plan[0].url, "https://127.0.0.1:9443/t1/v2.0/.well-known/openid-configuration");
    EXPECT_EQ(plan[2].endpoint, "https://127.0.0.1:9443/his");
}

http::TlsProbeResult goodProbe(std::vector<std::string> addresses = {"127.0.0.1"}) {
    http::TlsProbeResult probe;
    probe.addresses = std::move(addresses);
    probe.connected = true;
    probe.tls_established = true;
    probe.tls_version = "TLSv1.3";
    probe.http_status = 404;
    probe.certificate_not_after =
        system_clock::from_time_t(784111777) + std::chrono::hours(24 * 90);
    probe.answered_at = system_clock::from_time_t(784111777);
    probe.date_header = "Sun, 06 Nov 1994 08:49:37 GMT";
    return probe;
}

http::TlsProbeResult refusedProbe() {
    http::TlsProbeResult probe;
    probe.addresses = {"127.0.0.1"};
    probe.error = "cannot connect to 127.0.0.1:9443: Connection refused";
    return probe;
}

CheckEndpoint endpoint(std::string url, bool required = true, bool arc = false) {
    CheckEndpoint result;
    result.service = "Test service";
    result.endpoint = url;
    result.url = std::move(url);
    result.required = required;
    result.arc = arc;
    result.clock_source = true;
    return result;
}

TEST(JudgeEndpoint, AnyHttpAnswerOverVerifiedTlsPasses) {
    const auto now = system_clock::from_time_t(784111777) + std::chrono::hours(12);
    const auto report = judgeEndpoint(endpoint("https://a"), goodProbe(), std::nullopt, false, now);
    EXPECT_TRUE(report.passed);
    EXPECT_EQ(report.is_private, true);
    EXPECT_EQ(report.days_until_expiry, 89); // 89.5 days left, counted down
}

TEST(JudgeEndpoint, FailuresAndPrivateLink) {
    const auto now = system_clock::from_time_t(784111777);
    auto refused = judgeEndpoint(endpoint("https://a"), refusedProbe(), std::nullopt, false, now);
    EXPECT_FALSE(refused.passed);
    EXPECT_NE(refused.failure.find("Connection refused"), std::string::npos);

    auto unverified = goodProbe();
    unverified.tls_established = false;
    unverified.http_status.reset();
    unverified.verify_error = "unable to get local issuer certificate";
    unverified.error = "certificate verify failed: unable to get local issuer certificate";
    auto untrusted = judgeEndpoint(endpoint("https://a"), unverified, std::nullopt, false, now);
    EXPECT_FALSE(untrusted.passed);
    EXPECT_NE(untrusted.failure.find("certificate verify failed"), std::string::npos);

    const auto public_probe = goodProbe({"20.1.2.3"});
    EXPECT_TRUE(
        judgeEndpoint(endpoint("https://his", true, true), public_probe, std::nullopt, false, now)
            .passed);
    auto pls =
        judgeEndpoint(endpoint("https://his", true, true), public_probe, std::nullopt, true, now);
    EXPECT_FALSE(pls.passed);
    EXPECT_NE(pls.failure.find("public address"), std::string::npos);
    // Entra and ARM stay public with private link: not an Arc endpoint.
    EXPECT_TRUE(
        judgeEndpoint(endpoint("https://login", true, false), public_probe, std::nullopt, true, now)
            .passed);
}

CheckReport mixedReport() {
    const auto now = system_clock::from_time_t(784111777);
    CheckReport report;
    report.cloud = "ArcEmulator";
    report.location = "eastus";
    report.proxy = "http://***@proxy:3128";
    report.endpoints.push_back(judgeEndpoint(endpoint("https://entra"), goodProbe(),
                                             std::string("http://***@proxy:3128"), false, now));
    report.endpoints.push_back(
        judgeEndpoint(endpoint("https://arm"), refusedProbe(), std::nullopt, false, now));
    report.endpoints.push_back(
        judgeEndpoint(endpoint("https://extra", false), refusedProbe(), std::nullopt, false, now));
    report.clock = skewOf(report.endpoints);
    return report;
}

TEST(CheckReportOutput, TextTableAndFailures) {
    const auto lines = formatText(mixedReport());
    ASSERT_GE(lines.size(), 8U);
    EXPECT_EQ(lines[0], "Cloud: ArcEmulator, location: eastus");
    EXPECT_EQ(lines[1].rfind("ENDPOINT", 0), 0U);
    for (const char* column : {"REACHABLE", "PRIVATE", "TLS", "PROXY", "CERTIFICATE", "SERVICE"}) {
        EXPECT_NE(lines[1].find(column), std::string::npos) << column;
    }
    // Columns are aligned: REACHABLE starts at the same offset in each row.
    const auto reachable_column = lines[1].find("REACHABLE");
    EXPECT_EQ(lines[2].substr(reachable_column, 4), "true");
    EXPECT_EQ(lines[3].substr(reachable_column, 5), "false");
    EXPECT_NE(lines[2].find("TLSv1.3"), std::string::npos);
    EXPECT_NE(lines[2].find("set"), std::string::npos);
    EXPECT_NE(lines[2].find("valid, 90 days left"), std::string::npos);
    EXPECT_NE(lines[4].find("Test service (optional)"), std::string::npos);
    std::string all;
    for (const auto& line : lines) {
        all += line + "\n";
    }
    EXPECT_NE(all.find("Proxy: http://***@proxy:3128"), std::string::npos);
    EXPECT_NE(all.find("FAILED https://arm (Test service): cannot connect"), std::string::npos);
    EXPECT_NE(all.find("FAILED (optional) https://extra"), std::string::npos);
    EXPECT_NE(all.find("Clock skew: the local clock is in step with https://entra"),
              std::string::npos);
}

TEST(CheckReportOutput, JsonHasEndpointsAndSkew) {
    const auto document = toJson(mixedReport());
    ASSERT_EQ(document.at("endpoints").size(), 3U);
    const auto& first = document.at("endpoints").at(0);
    EXPECT_EQ(first.at("endpoint"), "https://entra");
    EXPECT_EQ(first.at("reachable"), true);
    EXPECT_EQ(first.at("private"), true);
    EXPECT_EQ(first.at("tlsVersion"), "TLSv1.3");
    EXPECT_EQ(first.at("certificate").at("verified"), true);
    EXPECT_EQ(first.at("certificate").at("daysUntilExpiry"), 90);
    EXPECT_EQ(first.at("proxyUsed"), true);
    EXPECT_EQ(first.at("proxy"), "http://***@proxy:3128");
    EXPECT_FALSE(first.contains("error"));
    const auto& second = document.at("endpoints").at(1);
    EXPECT_EQ(second.at("reachable"), false);
    EXPECT_EQ(second.at("tlsVersion"), nullptr);
    EXPECT_NE(second.at("error").get<std::string>().find("Connection refused"), std::string::npos);
    EXPECT_EQ(document.at("clockSkew").at("skewSeconds"), 0);
    EXPECT_EQ(document.at("clockSkew").at("exceedsLimit"), false);
    EXPECT_EQ(document.at("success"), false);
    EXPECT_EQ(document.at("failedEndpoints"), json::array({"https://arm"}));
}

TEST(CheckReportOutput, OnlyRequiredFailuresFailTheCommand) {
    auto report = mixedReport();
    auto outcome = checkOutcome(report);
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().code, exitcode::kNetwork);
    EXPECT_EQ(exitStatusOf(outcome.error()), 26);
    EXPECT_NE(outcome.error().message.find("https://arm (Test service)"), std::string::npos);
    EXPECT_EQ(outcome.error().message.find("https://extra"), std::string::npos);

    report.endpoints.erase(report.endpoints.begin() + 1); // drop the failed required one
    EXPECT_TRUE(checkOutcome(report));
}

// Whole command, in-process, against a fake prober that records what it was asked.
class CheckCommandTest : public ::testing::Test {
protected:
    Result<void> run(const CheckOptions& options, bool json_output = false) {
        GlobalOptions globals;
        globals.json = json_output;
        const Console console(fake_.env(), globals);
        return runCheckWith(options, fake_.env(), console,
                            [this](const std::vector<http::TlsProbeRequest>& requests) {
                                requests_ = requests;
                                std::vector<http::TlsProbeResult> results;
                                for (const auto& request : requests) {
                                    results.push_back(request.url.find(failing_) !=
                                                              std::string::npos
                                                          ? refusedProbe()
                                                          : goodProbe());
                                }
                                return results;
                            });
    }

    test::FakeEnvironment fake_;
    std::vector<http::TlsProbeRequest> requests_;
    std::string failing_ = "no-such-endpoint";
};

TEST_F(CheckCommandTest, NotConnectedChecksAzureCloud) {
    ASSERT_TRUE(run({}));
    ASSERT_EQ(requests_.size(), 5U);
    EXPECT_EQ(requests_[1].url, "https://management.azure.com");
    EXPECT_NE(fake_.out().find("Cloud: AzureCloud"), std::string::npos);
}

TEST_F(CheckCommandTest, ConnectedUsesTheMachinesCloudAndRegion) {
    test::writeConnectedConfig(fake_.env());
    ASSERT_TRUE(run({}));
    ASSERT_EQ(requests_.size(), 7U);
    EXPECT_EQ(requests_[5].url, "https://eastus.his.arc.azure.com");
}

TEST_F(CheckCommandTest, RefusesBadValuesWith23) {
    CheckOptions unknown_cloud;
    unknown_cloud.cloud = "AzureMoon";
    unknown_cloud.location = "eastus";
    CheckOptions cloud_without_location;
    cloud_without_location.cloud = "AzureCloud";
    CheckOptions bad_extension;
    bad_extension.extensions = {"sql", "mysql"};
    CheckOptions bad_location;
    bad_location.location = "east/us";
    CheckOptions both_clouds;
    both_clouds.cloud = "AzureCloud";
    both_clouds.cloud_config = "/tmp/cloud.json";
    both_clouds.location = "eastus";
    for (const auto& options :
         {unknown_cloud, cloud_without_location, bad_extension, bad_location, both_clouds}) {
        auto result = run(options);
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error().code, exitcode::kInvalidArgument) << result.error().message;
    }
    EXPECT_TRUE(requests_.empty());
}

TEST_F(CheckCommandTest, ProxyFromEnvironmentWithBypassPerService) {
    fake_.environment["HTTPS_PROXY"] = "http://user:secret@proxy.local:3128";
    ASSERT_TRUE(fs::ensureDirectory(fake_.env().paths.localConfig().parent_path()));
    std::ofstream(fake_.env().paths.localConfig()) << R"({"proxy.bypass": ["ARM"]})";
    CheckOptions options;
    options.cloud = "AzureCloud";
    options.location = "eastus";
    ASSERT_TRUE(run(options, true));
    EXPECT_EQ(requests_[0].proxy_url, "http://user:secret@proxy.local:3128");
    EXPECT_FALSE(requests_[1].proxy_url); // ARM bypassed
    const auto document = json::parse(fake_.out());
    EXPECT_EQ(document.at("endpoints").at(0).at("proxy"), "http://***@proxy.local:3128");
    EXPECT_EQ(document.at("endpoints").at(1).at("proxyUsed"), false);
    EXPECT_EQ(fake_.out().find("secret"), std::string::npos);
}

TEST_F(CheckCommandTest, RequiredFailureIs26AndNamed) {
    failing_ = "management.azure.com";
    auto result = run({}, true);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, exitcode::kNetwork);
    EXPECT_NE(result.error().message.find("https://management.azure.com"), std::string::npos);
    const auto document = json::parse(fake_.out());
    EXPECT_EQ(document.at("failedEndpoints"), json::array({"https://management.azure.com"}));
}

} // namespace
} // namespace azcm::azcmagent
