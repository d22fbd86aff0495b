#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "emulator/http_util.hpp"
#include "emulator/rbac.hpp"
#include "emulator_fixture.hpp"

#include <gtest/gtest.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;
using std::chrono::seconds;

class IdentityTest : public EmulatorFixture {
protected:
    void SetUp() override {
        createGroup("rg1");
        ASSERT_EQ(putMachine("rg1", "web01", machineKeyPem()).result_int(), 201);
    }

    http::Response issue(const std::string& key_pem, const std::string& token) {
        const json body{{"resourceId", machinePath("rg1", "web01")},
                        {"csr", crypto::createCsrPem(key_pem, "web01").value()}};
        return call(http::Verb::post, "/his/machines/certificate", body.dump(), token);
    }

    // Issues the machine certificate and returns its DER, as the TLS layer would hand it over.
    std::string connect() {
        auto response = issue(machineKeyPem(), ownerToken());
        EXPECT_EQ(response.result_int(), 200) << response.body();
        auto info = crypto::parseCertificatePem(parse(response)["certificate"].get<std::string>());
        EXPECT_TRUE(info);
        return info.value().der;
    }

    http::Response heartbeat(const std::string& der, const json& body = json::object()) {
        http::PeerInfo peer;
        peer.client_certificate_der = der;
        return call(http::Verb::post, "/his/machines/heartbeat", body.dump(), {}, peer);
    }

    json machine() {
        auto response =
            call(http::Verb::get, machinePath("rg1", "web01") + "?api-version=" + kMachineVersion,
                 {}, ownerToken());
        EXPECT_EQ(response.result_int(), 200);
        return parse(response);
    }
};

TEST_F(IdentityTest, IssuesClientCertificateForTheRegisteredKey) {
    auto response = issue(machineKeyPem(), ownerToken());
    ASSERT_EQ(response.result_int(), 200) << response.body();
    const auto body = parse(response);
    const std::string chain = body["certificate"];
    auto certificates = crypto::splitPemCertificates(chain);
    ASSERT_TRUE(certificates);
    ASSERT_EQ(certificates.value().size(), 2u) << "leaf then issuing CA";
    auto leaf = crypto::parseCertificatePem(chain).value();
    EXPECT_EQ(leaf.subject_common_name, machine()["properties"]["vmId"]);
    EXPECT_EQ(leaf.public_key_der, crypto::publicKeyDer(machineKeyPem()).value());
    EXPECT_EQ(body["thumbprint"], leaf.thumbprint_sha1_hex);
    EXPECT_EQ(std::chrono::duration_cast<seconds>(leaf.not_after - leaf.not_before).count(),
              options_.cert_lifetime.count() + 300);
    EXPECT_TRUE(crypto::verifyCertificateChain(chain, sharedPki().ca_cert_pem, clock_.wallNow()));
}

TEST_F(IdentityTest, IssueRefusesOtherKeysAndMissingPermission) {
    auto mismatch = issue(otherKeyPem(), ownerToken());
    EXPECT_EQ(mismatch.result_int(), 400);
    EXPECT_EQ(call(http::Verb::post, "/his/machines/certificate", "{}").result_int(), 401);
    const auto reader = addPrincipal("Reader", subscriptionPath());
    EXPECT_EQ(issue(machineKeyPem(), tokenFor(reader)).result_int(), 403);
    const auto onboarding = addPrincipal("Azure Connected Machine Onboarding", subscriptionPath());
    EXPECT_EQ(issue(machineKeyPem(), tokenFor(onboarding)).result_int(), 200);
    const json missing{{"resourceId", machinePath("rg1", "nothere")},
                       {"csr", crypto::createCsrPem(machineKeyPem(), "x").value()}};
    EXPECT_EQ(call(http::Verb::post, "/his/machines/certificate", missing.dump(), ownerToken())
                  .result_int(),
              404);
}

TEST_F(IdentityTest, HeartbeatConnectsAndRecordsFacts) {
    const auto der = connect();
    EXPECT_EQ(machine()["properties"]["status"], "Disconnected");
    const json body{{"agentVersion", "1.0.00000.1"},
                    {"machine",
                     {{"osName", "debian"},
                      {"osVersion", "12"},
                      {"osType", "linux"},
                      {"fqdn", "web01.example"},
                      {"domainName", "example"},
                      {"logicalCores", 4},
                      {"totalMemoryMb", 8192},
                      {"manufacturer", "QEMU"}}},
                    {"agentConfiguration", {{"extensionsEnabled", "true"}}}};
    auto response = heartbeat(der, body);
    ASSERT_EQ(response.result_int(), 200) << response.body();
    EXPECT_EQ(parse(response)["status"], "Connected");
    EXPECT_EQ(parse(response)["resourceId"], machinePath("rg1", "web01"));
    EXPECT_EQ(parse(response)["location"], "westeurope");
    const auto properties = machine()["properties"];
    EXPECT_EQ(properties["status"], "Connected");
    EXPECT_EQ(properties["agentVersion"], "1.0.00000.1");
    EXPECT_EQ(properties["osName"], "debian");
    EXPECT_EQ(properties["machineFqdn"], "web01.example");
    EXPECT_EQ(properties["detectedProperties"]["logicalCoreCount"], "4");
    EXPECT_EQ(properties["detectedProperties"]["totalPhysicalMemoryInGigabytes"], "8");
    EXPECT_EQ(properties["detectedProperties"]["manufacturer"], "QEMU");
    EXPECT_EQ(properties["agentConfiguration"]["extensionsEnabled"], "true");
}

TEST_F(IdentityTest, HeartbeatAnswerCarriesTheAgentUpgradeSetThroughArm) {
    const auto der = connect();
    auto before = heartbeat(der);
    ASSERT_EQ(before.result_int(), 200) << before.body();
    EXPECT_EQ(
        parse(before)["agentUpgrade"],
        json({{"enableAutomaticUpgrade", false}, {"desiredVersion", ""}, {"correlationId", ""}}));

    const json patch{{"properties",
                      {{"agentUpgrade",
                        {{"enableAutomaticUpgrade", true},
                         {"desiredVersion", "1.0.2000.0"},
                         {"correlationId", "c0ffee00-0000-4000-8000-000000000001"}}}}}};
    ASSERT_EQ(call(http::Verb::patch,
                   machinePath("rg1", "web01") + "?api-version=" + kMachineVersion, patch.dump(),
                   ownerToken())
                  .result_int(),
              200);
    auto after = heartbeat(der);
    ASSERT_EQ(after.result_int(), 200) << after.body();
    EXPECT_EQ(parse(after)["agentUpgrade"],
              json({{"enableAutomaticUpgrade", true},
                    {"desiredVersion", "1.0.2000.0"},
                    {"correlationId", "c0ffee00-0000-4000-8000-000000000001"}}));
}

TEST_F(IdentityTest, HeartbeatReportOfTheLastUpgradeAttemptShowsInArm) {
    const auto der = connect();
    const json report{{"agentUpgrade",
                       {{"lastAttemptStatus", "Failed"},
                        {"lastAttemptMessage", "the package signature is not trusted"},
                        {"lastAttemptTimestamp", "2026-11-28T14:45:00.250+01:00"},
                        {"lastAttemptDesiredVersion", "1.0.2000.0"},
                        {"correlationId", "c0ffee00-0000-4000-8000-000000000001"}}}};
    auto response = heartbeat(der, report);
    ASSERT_EQ(response.result_int(), 200) << response.body();
    auto agent_upgrade = machine()["properties"]["agentUpgrade"];
    EXPECT_EQ(agent_upgrade["lastAttemptStatus"], "Failed");
    EXPECT_EQ(agent_upgrade["lastAttemptMessage"], "the package signature is not trusted");
    EXPECT_EQ(agent_upgrade["lastAttemptTimestamp"], "2026-11-28T13:45:00Z");
    EXPECT_EQ(agent_upgrade["lastAttemptDesiredVersion"], "1.0.2000.0");
    EXPECT_EQ(agent_upgrade["enableAutomaticUpgrade"], false);

    // A heartbeat without a report keeps the stored one.
    ASSERT_EQ(heartbeat(der).result_int(), 200);
    EXPECT_EQ(machine()["properties"]["agentUpgrade"], agent_upgrade);
}

TEST_F(IdentityTest, InvalidUpgradeReportIsRefusedAndNothingStored) {
    const auto der = connect();
    const json valid{{"lastAttemptStatus", "Success"},
                     {"lastAttemptMessage", ""},
                     {"lastAttemptTimestamp", "2026-11-28T13:45:00Z"},
                     {"lastAttemptDesiredVersion", "1.0.2000.0"}};
    ASSERT_EQ(heartbeat(der, json{{"agentUpgrade", valid}}).result_int(), 200);
    const auto stored = machine()["properties"];

    const auto with = [&valid](const char* member, const json& value) {
        json report = valid;
        report[member] = value;
        return report;
    };
    json without_status = valid;
    without_status.erase("lastAttemptStatus");
    const std::vector<json> invalid = {
        json("Success"),
        without_status,
        with("lastAttemptStatus", "success"),
        with("lastAttemptStatus", "Succeeded"),
        with("lastAttemptMessage", std::string(1025, 'm')),
        with("lastAttemptMessage", 5),
        with("lastAttemptTimestamp", "2026-11-28 13:45:00"),
        with("lastAttemptTimestamp", "2026-02-30T13:45:00Z"),
        with("lastAttemptTimestamp", "yesterday"),
        with("lastAttemptDesiredVersion", "one"),
        with("correlationId", std::string(65, 'c')),
    };
    for (const auto& report : invalid) {
        const json body{{"agentVersion", "9.9.9.9"}, {"agentUpgrade", report}};
        auto response = heartbeat(der, body);
        EXPECT_EQ(response.result_int(), 400) << report.dump();
        EXPECT_EQ(parse(response)["error"]["code"], "InvalidRequest") << report.dump();
    }
    EXPECT_EQ(machine()["properties"], stored);
    // 1024 characters of two bytes each are within the limit.
    std::string long_message;
    for (int i = 0; i < 1024; ++i) {
        long_message += "\u00e9";
    }
    EXPECT_EQ(heartbeat(der, json{{"agentUpgrade", with("lastAttemptMessage", long_message)}})
                  .result_int(),
              200);
}

TEST_F(IdentityTest, HeartbeatNeedsTheCurrentCertificate) {
    EXPECT_EQ(heartbeat({}).result_int(), 401);
    http::PeerInfo no_cert;
    EXPECT_EQ(call(http::Verb::post, "/his/machines/heartbeat", "{}", {}, no_cert).result_int(),
              401);
    const auto old_der = connect();
    const auto new_der = connect(); // re-issue: only the newest certificate counts
    EXPECT_EQ(heartbeat(old_der).result_int(), 404);
    EXPECT_EQ(heartbeat(new_der).result_int(), 200);
    ASSERT_EQ(call(http::Verb::delete_, machinePath("rg1", "web01") + "?api-version=2024-07-10", {},
                   ownerToken())
                  .result_int(),
              200);
    EXPECT_EQ(heartbeat(new_der).result_int(), 404);
}

TEST_F(IdentityTest, StatusIsDerivedFromHeartbeatAgeAndCertificateLifetime) {
    const auto der = connect();
    ASSERT_EQ(heartbeat(der).result_int(), 200);
    const auto heartbeat_time = clock_.wallNow();
    clock_.advance(seconds(899));
    EXPECT_EQ(machine()["properties"]["status"], "Connected");
    clock_.advance(seconds(2));
    auto properties = machine()["properties"];
    EXPECT_EQ(properties["status"], "Disconnected");
    EXPECT_EQ(properties["lastStatusChange"], rfc3339(heartbeat_time + seconds(900)));
    // A heartbeat brings it back at once.
    ASSERT_EQ(heartbeat(der).result_int(), 200);
    properties = machine()["properties"];
    EXPECT_EQ(properties["status"], "Connected");
    EXPECT_EQ(properties["lastStatusChange"], rfc3339(clock_.wallNow()));
    // Past the certificate's notAfter the machine is Expired and its heartbeats are refused.
    clock_.advance(options_.cert_lifetime);
    properties = machine()["properties"];
    EXPECT_EQ(properties["status"], "Expired");
    EXPECT_EQ(heartbeat(der).result_int(), 401);
}

TEST_F(IdentityTest, RenewalReplacesTheCertificateAndKey) {
    const auto der = connect();
    http::PeerInfo peer;
    peer.client_certificate_der = der;
    const json body{{"csr", crypto::createCsrPem(otherKeyPem(), "web01").value()}};
    auto renewed = call(http::Verb::post, "/his/machines/certificate/renew", body.dump(), {}, peer);
    ASSERT_EQ(renewed.result_int(), 200) << renewed.body();
    auto leaf =
        crypto::parseCertificatePem(parse(renewed)["certificate"].get<std::string>()).value();
    EXPECT_EQ(leaf.public_key_der, crypto::publicKeyDer(otherKeyPem()).value());
    EXPECT_EQ(heartbeat(der).result_int(), 404);
    EXPECT_EQ(heartbeat(leaf.der).result_int(), 200);
    EXPECT_EQ(machine()["properties"]["clientPublicKey"],
              crypto::base64Encode(crypto::publicKeyDer(otherKeyPem()).value()));
    EXPECT_EQ(call(http::Verb::post, "/his/machines/certificate/renew", body.dump()).result_int(),
              401);
}

} // namespace
} // namespace azcm::emulator::test
