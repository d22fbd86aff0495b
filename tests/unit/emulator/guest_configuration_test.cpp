// Guest configuration assignments through ARM (routes, shapes, RBAC, api-versions), the agent's
// side below /gc (goal state with ETag, compliance reports that update ARM) and the built-in
// baseline package.
#include "common/crypto/cms.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/package_signature.hpp"
#include "common/crypto/x509.hpp"
#include "emulator/data_dir.hpp"
#include "emulator/guest_configuration_baseline.hpp"
#include "emulator/package_store.hpp"
#include "emulator/rbac.hpp"
#include "emulator_fixture.hpp"

#include <chrono>
#include <future>
#include <iostream>
#include <memory>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kGcVersion = "2022-01-25";

class GuestConfigurationTest : public EmulatorFixture {
protected:
    void SetUp() override {
        createGroup("rg1");
        ASSERT_EQ(putMachine("rg1", "web01", machineKeyPem()).result_int(), 201);
        const json body{{"resourceId", machinePath("rg1", "web01")},
                        {"csr", crypto::createCsrPem(machineKeyPem(), "web01").value()}};
        auto issued =
            call(http::Verb::post, "/his/machines/certificate", body.dump(), ownerToken());
        ASSERT_EQ(issued.result_int(), 200) << issued.body();
        machine_der_ = crypto::parseCertificatePem(parse(issued)["certificate"].get<std::string>())
                           .value()
                           .der;
        ASSERT_TRUE(publishBuiltInBaseline(*store_, DataDir(dir_.path()),
                                           sharedPki().package_signer, clock_.wallNow()));
    }

    std::string url(const std::string& name, const std::string& version = kGcVersion) const {
        return machinePath("rg1", "web01") +
               "/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments" +
               (name.empty() ? "" : "/" + name) + "?api-version=" + version;
    }
    static json assignment(const std::string& type = "Audit",
                           const std::string& name = "AzureArcSecurityBaseline",
                           const std::string& version = "1.0.0") {
        return json{{"properties",
                     {{"guestConfiguration",
                       {{"name", name}, {"version", version}, {"assignmentType", type}}}}}};
    }
    http::Response put(const std::string& name, const json& body, const std::string& token = {}) {
        return call(http::Verb::put, url(name), body.dump(), token.empty() ? ownerToken() : token);
    }
    json get(const std::string& name) {
        auto response = call(http::Verb::get, url(name), {}, ownerToken());
        EXPECT_EQ(response.result_int(), 200) << response.body();
        return parse(response);
    }
    http::Response agent(http::Verb method,
                         const std::string& route,
                         const json& body = {},
                         const std::string& if_none_match = {}) {
        http::PeerInfo peer;
        peer.client_certificate_der = machine_der_;
        http::Request request{method, "/gc/machines/" + route, 11};
        request.set(http::Field::host, "127.0.0.1:8443");
        if (!if_none_match.empty()) {
            request.set(http::Field::if_none_match, if_none_match);
        }
        request.body() = body.is_null() ? "" : body.dump();
        request.prepare_payload();
        return emulator_->handle(request, peer);
    }

    std::future<http::Response> poll(const std::string& etag, int wait_seconds) {
        http::PeerInfo peer;
        peer.client_certificate_der = machine_der_;
        return longPoll("/gc/machines/assignments?waitSeconds=" + std::to_string(wait_seconds),
                        etag, peer);
    }

    std::string machine_der_;
};

TEST_F(GuestConfigurationTest, PutFillsThePackageAndStartsPending) {
    auto created = put("baseline", assignment());
    ASSERT_EQ(created.result_int(), 201) << created.body();
    const auto body = parse(created);
    EXPECT_EQ(body["type"], "Microsoft.GuestConfiguration/guestConfigurationAssignments");
    EXPECT_EQ(body["name"], "baseline");
    const auto& properties = body["properties"];
    EXPECT_EQ(properties["complianceStatus"], "Pending");
    EXPECT_TRUE(properties["lastComplianceStatusChecked"].is_null());
    EXPECT_TRUE(properties["latestAssignmentReport"].is_null());
    const auto& configuration = properties["guestConfiguration"];
    EXPECT_EQ(configuration["assignmentType"], "Audit");
    EXPECT_EQ(configuration["version"], "1.0.0");
    const auto package = findPackage(*store_, kPackageKindGuestConfiguration, "",
                                     "AzureArcSecurityBaseline", "1.0.0")
                             .value()
                             .value();
    std::string upper = package.sha256;
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(configuration["contentHash"], upper);
    EXPECT_EQ(configuration["contentUri"], std::string(kBaseUrl) + packageDownloadPath(package));
    EXPECT_EQ(get("baseline")["properties"]["guestConfiguration"], configuration);

    auto listed = call(http::Verb::get, url(""), {}, ownerToken());
    ASSERT_EQ(listed.result_int(), 200) << listed.body();
    ASSERT_EQ(parse(listed)["value"].size(), 1u);
    // Both documented api-versions work; a HybridCompute one does not.
    EXPECT_EQ(call(http::Verb::get, url("baseline", "2024-04-05"), {}, ownerToken()).result_int(),
              200);
    EXPECT_EQ(
        call(http::Verb::get, url("baseline", kMachineVersion), {}, ownerToken()).result_int(),
        400);
}

TEST_F(GuestConfigurationTest, PutRefusesUnknownPackagesTypesAndForeignHashes) {
    auto missing = put("x", assignment("Audit", "NoSuchConfiguration"));
    EXPECT_EQ(missing.result_int(), 400);
    EXPECT_EQ(parse(missing)["error"]["code"], "GuestConfigurationPackageNotFound");
    // assignmentType is case-sensitive, as in Azure.
    EXPECT_EQ(put("x", assignment("audit")).result_int(), 400);
    auto foreign = assignment();
    foreign["properties"]["guestConfiguration"]["contentHash"] = std::string(64, 'A');
    EXPECT_EQ(put("x", foreign).result_int(), 400);
    EXPECT_EQ(call(http::Verb::get, url("x"), {}, ownerToken()).result_int(), 404);
}

TEST_F(GuestConfigurationTest, RolesDecideWhoReadsAndWrites) {
    ASSERT_EQ(put("baseline", assignment()).result_int(), 201);
    const std::string scope = subscriptionPath();
    const auto reader = tokenFor(addPrincipal(std::string(kReaderRoleId), scope));
    const auto onboarding = tokenFor(addPrincipal(std::string(kOnboardingRoleId), scope));
    const auto contributor = tokenFor(addPrincipal(std::string(kContributorRoleId), scope));
    const auto administrator =
        tokenFor(addPrincipal(std::string(kResourceAdministratorRoleId), scope));
    for (const auto& token : {reader, onboarding, contributor}) {
        EXPECT_EQ(call(http::Verb::get, url("baseline"), {}, token).result_int(), 200);
    }
    EXPECT_EQ(put("baseline", assignment(), reader).result_int(), 403);
    EXPECT_EQ(put("baseline", assignment(), onboarding).result_int(), 403);
    // Azure's built-in role gives Resource Administrator no Microsoft.GuestConfiguration actions.
    EXPECT_EQ(put("baseline", assignment(), administrator).result_int(), 403);
    EXPECT_EQ(call(http::Verb::delete_, url("baseline"), {}, onboarding).result_int(), 403);
    EXPECT_EQ(put("baseline", assignment("ApplyAndMonitor"), contributor).result_int(), 200);
    EXPECT_EQ(call(http::Verb::delete_, url("baseline"), {}, contributor).result_int(), 200);
    EXPECT_EQ(call(http::Verb::delete_, url("baseline"), {}, contributor).result_int(), 204);
    EXPECT_EQ(call(http::Verb::get, url("baseline"), {}, contributor).result_int(), 404);
}

TEST_F(GuestConfigurationTest, GoalStateListsAssignmentsWithTheSignedPackage) {
    EXPECT_EQ(agent(http::Verb::get, "assignments").result_int(), 200);
    ASSERT_EQ(put("baseline", assignment()).result_int(), 201);
    auto answer = agent(http::Verb::get, "assignments");
    ASSERT_EQ(answer.result_int(), 200) << answer.body();
    const auto body = parse(answer);
    ASSERT_EQ(body["assignments"].size(), 1u);
    const auto& entry = body["assignments"][0];
    EXPECT_EQ(entry["name"], "baseline");
    EXPECT_EQ(entry["configurationName"], "AzureArcSecurityBaseline");
    EXPECT_EQ(entry["assignmentType"], "Audit");
    EXPECT_EQ(entry["sequenceNumber"], 1);
    const auto& package = entry["package"];
    const auto signature = crypto::base64Decode(package["signature"].get<std::string>());
    ASSERT_TRUE(signature);
    const auto bytes =
        readPackageBytes(DataDir(dir_.path()), findPackage(*store_, kPackageKindGuestConfiguration,
                                                           "", "AzureArcSecurityBaseline", "1.0.0")
                                                   .value()
                                                   .value());
    ASSERT_TRUE(bytes);
    EXPECT_EQ(package["size"], bytes.value().size());
    auto signed_package = crypto::verifyPackageSignature(bytes.value(), signature.value(),
                                                         sharedPki().package_signer.root_cert_pem);
    ASSERT_TRUE(signed_package) << signed_package.error().message;
    EXPECT_EQ(
        signed_package.value().identity,
        (crypto::PackageIdentity{"guestconfiguration", "", "AzureArcSecurityBaseline", "1.0.0"}));

    // The ETag answers 304 until the assignment changes.
    const std::string etag(answer[http::Field::etag]);
    EXPECT_EQ(agent(http::Verb::get, "assignments", {}, etag).result_int(), 304);
    ASSERT_EQ(put("baseline", assignment("ApplyAndAutoCorrect")).result_int(), 200);
    auto changed = agent(http::Verb::get, "assignments", {}, etag);
    ASSERT_EQ(changed.result_int(), 200);
    EXPECT_EQ(parse(changed)["assignments"][0]["sequenceNumber"], 2);

    // Without a machine credential there is nothing.
    EXPECT_EQ(call(http::Verb::get, "/gc/machines/assignments").result_int(), 401);
}

// An assignment made in ARM reaches a waiting agent at once (a long-poll, as
// the extension goal state), and an unchanged one is answered 304 when the wait ends.
TEST_F(GuestConfigurationTest, AssignmentsLongPollWakesOnAnArmChangeOnly) {
    startLongPollLoop();
    const std::string empty_etag(agent(http::Verb::get, "assignments")[http::Field::etag]);
    auto quiet = poll(empty_etag, 1);
    ASSERT_EQ(quiet.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(quiet.get().result_int(), 304);

    auto waiting = poll(empty_etag, 30);
    EXPECT_EQ(waiting.wait_for(150ms), std::future_status::timeout) << "it must wait";
    const auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(put("baseline", assignment()).result_int(), 201);
    ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready); // not the 30 s wait
    std::cout << "assignments long-poll woken "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms after the PUT started\n";
    auto changed = waiting.get();
    ASSERT_EQ(changed.result_int(), 200);
    EXPECT_EQ(parse(changed)["assignments"][0]["name"], "baseline");
    const std::string etag(changed[http::Field::etag]);
    EXPECT_NE(etag, empty_etag);

    // Deleting it wakes a waiter too; a bad wait is refused.
    auto next = poll(etag, 30);
    EXPECT_EQ(next.wait_for(150ms), std::future_status::timeout);
    ASSERT_EQ(call(http::Verb::delete_, url("baseline"), {}, ownerToken()).result_int(), 200);
    ASSERT_EQ(next.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(parse(next.get())["assignments"].size(), 0u);
    auto bad = poll(etag, 301);
    ASSERT_EQ(bad.wait_for(1s), std::future_status::ready);
    EXPECT_EQ(bad.get().result_int(), 400);
    EXPECT_EQ(emulator_->waiters().waiting(), 0u);
}

TEST_F(GuestConfigurationTest, ReportsUpdateComplianceInArm) {
    ASSERT_EQ(put("baseline", assignment()).result_int(), 201);
    const json report{{"name", "baseline"},
                      {"sequenceNumber", 1},
                      {"complianceStatus", "NonCompliant"},
                      {"resources",
                       {{{"id", "ssh-root-login"},
                         {"type", "sshd_setting"},
                         {"compliant", false},
                         {"reason", "PermitRootLogin is yes, expected no"}},
                        {{"id", "key-mode"},
                         {"type", "file"},
                         {"compliant", true},
                         {"reason", "mode is 0600"}}}}};
    auto accepted = agent(http::Verb::post, "reports", report);
    ASSERT_EQ(accepted.result_int(), 200) << accepted.body();
    auto properties = get("baseline")["properties"];
    EXPECT_EQ(properties["complianceStatus"], "NonCompliant");
    EXPECT_TRUE(properties["lastComplianceStatusChecked"].is_string());
    const auto& resources = properties["latestAssignmentReport"]["resources"];
    ASSERT_EQ(resources.size(), 2u);
    EXPECT_EQ(resources[0]["resourceId"], "ssh-root-login");
    EXPECT_EQ(resources[0]["complianceStatus"], "NonCompliant");
    EXPECT_EQ(resources[0]["reasons"][0]["phrase"], "PermitRootLogin is yes, expected no");
    EXPECT_EQ(resources[1]["complianceStatus"], "Compliant");

    // A report for an older version of the assignment is refused.
    auto stale = report;
    stale["sequenceNumber"] = 7;
    EXPECT_EQ(agent(http::Verb::post, "reports", stale).result_int(), 409);
    // Not evaluated (a local setting): the status stays, the reason shows.
    const json skipped{{"name", "baseline"},
                       {"sequenceNumber", 1},
                       {"evaluated", false},
                       {"reasonCode", "GuestConfigurationDisabled"},
                       {"reason", "guestconfiguration.enabled is false"}};
    ASSERT_EQ(agent(http::Verb::post, "reports", skipped).result_int(), 200);
    properties = get("baseline")["properties"];
    EXPECT_EQ(properties["complianceStatus"], "NonCompliant");
    const auto& reasons = properties["latestAssignmentReport"]["resources"][0]["reasons"];
    EXPECT_EQ(reasons[0]["phrase"], "guestconfiguration.enabled is false");
    EXPECT_EQ(reasons[0]["code"], "GuestConfiguration:GuestConfigurationDisabled");
    // Malformed reports and unknown assignments.
    EXPECT_EQ(agent(http::Verb::post, "reports", json{{"name", "baseline"}}).result_int(), 400);
    auto unknown = report;
    unknown["name"] = "other";
    EXPECT_EQ(agent(http::Verb::post, "reports", unknown).result_int(), 404);
}

TEST_F(GuestConfigurationTest, BaselinePublishIsReproducibleAndIdempotent) {
    ASSERT_FALSE(builtInBaselineDocument().empty());
    const auto first = makeZip({{"configuration.json", "{}"}});
    const auto second = makeZip({{"configuration.json", "{}"}});
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first.value(), second.value());
    const auto before = findPackage(*store_, kPackageKindGuestConfiguration, "",
                                    "AzureArcSecurityBaseline", "1.0.0")
                            .value()
                            .value();
    ASSERT_TRUE(publishBuiltInBaseline(*store_, DataDir(dir_.path()), sharedPki().package_signer,
                                       clock_.wallNow()));
    const auto after = findPackage(*store_, kPackageKindGuestConfiguration, "",
                                   "AzureArcSecurityBaseline", "1.0.0")
                           .value()
                           .value();
    EXPECT_EQ(before.sha256, after.sha256);
    EXPECT_EQ(before.published_at, after.published_at);
}

} // namespace
} // namespace azcm::emulator::test
