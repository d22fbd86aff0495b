// `azcmagent check` end to end: the real CLI probes a real arc-emulator over real TLS, with the
// cloud named by --cloud-config, then with the connected machine's cloud, then with the emulator
// stopped and with a trust store that does not hold the emulator's CA.
#include "sandbox.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;

// The results document: the first JSON value of the output (a failure's error object follows).
json firstDocument(const std::string& out) {
    std::istringstream in(out);
    json document;
    in >> document;
    return document;
}

void expectAllHealthy(const json& report) {
    EXPECT_EQ(report.at("cloud"), "ArcEmulator");
    EXPECT_EQ(report.at("success"), true);
    EXPECT_TRUE(report.at("failedEndpoints").empty());
    ASSERT_EQ(report.at("endpoints").size(), 4U) << report.dump(2);
    for (const auto& endpoint : report.at("endpoints")) {
        SCOPED_TRACE(endpoint.dump());
        EXPECT_EQ(endpoint.at("reachable"), true);
        EXPECT_EQ(endpoint.at("passed"), true);
        EXPECT_EQ(endpoint.at("private"), true); // 127.0.0.1 is loopback
        EXPECT_EQ(endpoint.at("addresses"), json::array({"127.0.0.1"}));
        const auto version = endpoint.at("tlsVersion").get<std::string>();
        EXPECT_TRUE(version == "TLSv1.2" || version == "TLSv1.3") << version;
        EXPECT_EQ(endpoint.at("certificate").at("verified"), true);
        EXPECT_GT(endpoint.at("certificate").at("daysUntilExpiry").get<int>(), 0);
        EXPECT_EQ(endpoint.at("proxyUsed"), false);
        EXPECT_TRUE(endpoint.at("httpStatus").is_number());
    }
    EXPECT_TRUE(report.at("clockSkew").contains("skewSeconds"));
}

TEST(CheckTest, EmulatorByCloudConfigIsReachablePrivateAndVerified) {
    Sandbox sandbox;
    sandbox.startEmulator();
    const auto cloud_config = sandbox.cloudJson().string();

    auto as_json = sandbox.azcmagent({"check", "--cloud-config", cloud_config, "--json"});
    ASSERT_EQ(as_json.exit_code, 0) << as_json.out << as_json.err;
    expectAllHealthy(json::parse(as_json.out));

    auto as_text = sandbox.azcmagent({"check", "--cloud-config", cloud_config});
    ASSERT_EQ(as_text.exit_code, 0) << as_text.out << as_text.err;
    EXPECT_NE(as_text.out.find("Cloud: ArcEmulator"), std::string::npos) << as_text.out;
    EXPECT_NE(as_text.out.find("ENDPOINT"), std::string::npos) << as_text.out;
    EXPECT_NE(as_text.out.find("REACHABLE"), std::string::npos) << as_text.out;
    EXPECT_NE(as_text.out.find("TLSv1."), std::string::npos) << as_text.out;
    EXPECT_NE(as_text.out.find("Clock skew:"), std::string::npos) << as_text.out;
    EXPECT_EQ(as_text.out.find("FAILED"), std::string::npos) << as_text.out;
}

TEST(CheckTest, ConnectedMachineChecksItsOwnCloudWithoutFlags) {
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.startHimds();
    auto sp = sandbox.createServicePrincipal("onboarder", kOnboarding);
    auto connect = sandbox.azcmagent(sandbox.connectArgs(sp, "checked01"));
    ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;

    auto check = sandbox.azcmagent({"check", "--json"});
    ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
    const auto report = json::parse(check.out);
    expectAllHealthy(report);
    EXPECT_FALSE(report.at("location").is_null());
}

TEST(CheckTest, StoppedEmulatorFailsWith26NamingTheEndpoints) {
    Sandbox sandbox;
    sandbox.startEmulator();
    const auto cloud_config = sandbox.cloudJson().string();
    const std::string base = sandbox.cloud().at("endpoints").at("arm").get<std::string>();
    sandbox.stopEmulator();

    const auto started = std::chrono::steady_clock::now();
    auto as_text = sandbox.azcmagent({"check", "--cloud-config", cloud_config});
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
    EXPECT_EQ(as_text.exit_code, 26) << as_text.out << as_text.err;
    EXPECT_NE(as_text.out.find("AZCM0026"), std::string::npos) << as_text.out;
    for (const auto& suffix : {std::string(), std::string("/his"), std::string("/gc")}) {
        EXPECT_NE(as_text.out.find("FAILED " + base + suffix + " "), std::string::npos)
            << suffix << "\n"
            << as_text.out;
    }

    auto as_json = sandbox.azcmagent({"check", "--cloud-config", cloud_config, "--json"});
    EXPECT_EQ(as_json.exit_code, 26) << as_json.out << as_json.err;
    std::istringstream in(as_json.out);
    json report;
    json error;
    in >> report >> error;
    EXPECT_EQ(report.at("success"), false);
    EXPECT_EQ(report.at("failedEndpoints").size(), 4U) << report.dump(2);
    for (const auto& endpoint : report.at("endpoints")) {
        EXPECT_EQ(endpoint.at("reachable"), false);
        EXPECT_NE(endpoint.at("error").get<std::string>().find("cannot connect"), std::string::npos)
            << endpoint.dump();
    }
    EXPECT_EQ(error.at("error").at("code"), "AZCM0026");
    EXPECT_NE(error.at("error").at("message").get<std::string>().find(base + "/his"),
              std::string::npos);
}

TEST(CheckTest, CertificateFromAnUntrustedCaFails) {
    Sandbox sandbox;
    sandbox.startEmulator();
    // The same endpoints, trusting the system store only: the emulator's CA is not in it.
    auto cloud = sandbox.cloud();
    cloud.erase("caCertPath");
    const auto untrusting = sandbox.root() / "untrusting-cloud.json";
    std::ofstream(untrusting) << cloud.dump();

    auto check = sandbox.azcmagent({"check", "--cloud-config", untrusting.string(), "--json"});
    EXPECT_EQ(check.exit_code, 26) << check.out << check.err;
    const auto report = firstDocument(check.out);
    for (const auto& endpoint : report.at("endpoints")) {
        SCOPED_TRACE(endpoint.dump());
        EXPECT_EQ(endpoint.at("reachable"), false);
        EXPECT_EQ(endpoint.at("certificate").at("verified"), false);
        EXPECT_FALSE(endpoint.at("certificate").value("error", "").empty());
        EXPECT_EQ(endpoint.at("private"), true);
    }
}

TEST(CheckTest, UnknownValuesAre23) {
    Sandbox sandbox;
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"check", "--cloud", "AzureMoon", "--location", "eastus"},
          std::vector<std::string>{"check", "--extensions", "mysql"},
          std::vector<std::string>{"check", "--location", "east/us"}}) {
        auto result = sandbox.azcmagent(args);
        EXPECT_EQ(result.exit_code, 23) << args[1] << result.out << result.err;
    }
}

} // namespace
} // namespace azcm::test
