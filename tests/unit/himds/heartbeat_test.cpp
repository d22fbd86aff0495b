// Heartbeat loop and certificate renewal of himds against a fake identity service.
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/fs/atomic_file.hpp"
#include "himds_harness.hpp"
#include "test_pki.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace {

using azcm::himds::ServiceReply;
using azcm::himds::test::Harness;
using azcm::himds::test::RecordedCall;
using azcm::http::Verb;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kWait = std::chrono::seconds(20);

class HeartbeatTest : public ::testing::Test {
protected:
    Harness harness_;
    std::filesystem::path certs() const { return harness_.paths().certsDir(); }

    // machine.key + machine.crt on disk as a previous run left them.
    std::string installIdentity(std::chrono::seconds lifetime,
                                std::chrono::system_clock::time_point not_before) {
        const auto& key = azcm::test::testPki().client_key_pem;
        const auto chain = azcm::himds::test::issueFromTestCa(
            azcm::crypto::publicKeyDer(key).value(), lifetime, not_before);
        EXPECT_TRUE(azcm::fs::ensureDirectory(certs(), {0700, {}}));
        EXPECT_TRUE(azcm::fs::writeFileAtomic(certs() / "machine.key", key));
        EXPECT_TRUE(azcm::fs::writeFileAtomic(certs() / "machine.crt", chain));
        harness_.writeAgentConfig();
        return chain;
    }
};

TEST_F(HeartbeatTest, ExistingIdentityHeartbeatsAtStartAndAtTheInterval) {
    harness_.options().heartbeat_interval = 1s;
    installIdentity(std::chrono::hours(24 * 90), std::chrono::system_clock::now() - 1min);
    harness_.start();
    ASSERT_TRUE(harness_.waitForCalls("/machines/heartbeat", 3, kWait));
    const auto status =
        harness_.waitForStatus([](const json& s) { return s["agentStatus"] == "Connected"; });
    EXPECT_EQ(status["connected"], true);
    EXPECT_EQ(status["agentStatus"], "Connected");
    EXPECT_EQ(status["heartbeatIntervalSeconds"], 1);
    EXPECT_EQ(harness_.fake().count("/machines/certificate/renew"), 0U);
}

TEST_F(HeartbeatTest, DeletedMachineIsReportedAndRetried) {
    harness_.options().heartbeat_interval = 1s;
    harness_.fake().setResponder([](const RecordedCall&) {
        return azcm::Result<ServiceReply>(ServiceReply{
            404, json{{"error", {{"code", "ResourceNotFound"}, {"message", "no machine"}}}}});
    });
    installIdentity(std::chrono::hours(24 * 90), std::chrono::system_clock::now() - 1min);
    harness_.start();
    // Backoff after the first failure is 1 s, so the retry comes without waiting an interval.
    ASSERT_TRUE(harness_.waitForCalls("/machines/heartbeat", 2, kWait));
    const auto status =
        harness_.waitForStatus([](const json& s) { return s["lastError"]["code"] != ""; });
    EXPECT_EQ(status["connected"], true);
    EXPECT_EQ(status["agentStatus"], "Disconnected");
    EXPECT_EQ(status["lastError"]["code"], "ResourceNotFound");
    EXPECT_NE(status["lastError"]["message"].get<std::string>().find("no longer exists"),
              std::string::npos);
    EXPECT_NE(status["lastError"]["time"], "");
}

TEST_F(HeartbeatTest, LapsedCertificateIsExpiredWithoutCallingTheService) {
    const auto now = std::chrono::system_clock::now();
    installIdentity(std::chrono::hours(1), now - std::chrono::hours(2));
    harness_.start();
    const auto status = harness_.callJson(Verb::get, "/status");
    EXPECT_EQ(status["connected"], true);
    EXPECT_EQ(status["agentStatus"], "Expired");
    EXPECT_EQ(status["lastError"]["code"], "CertificateExpired");
    EXPECT_EQ(harness_.fake().calls().size(), 0U);
}

TEST_F(HeartbeatTest, DueCertificateIsRenewedBeforeTheHeartbeat) {
    harness_.fake().setResponder(azcm::himds::test::renewFromTestCa);
    const auto now = std::chrono::system_clock::now();
    // 10-minute certificate with 1 minute left: past half its life.
    const auto old_chain = installIdentity(10min, now - 9min);
    const auto old_key = azcm::fs::readFile(certs() / "machine.key").value();
    harness_.start();
    ASSERT_TRUE(harness_.waitForCalls("/machines/heartbeat", 1, kWait));

    const auto calls = harness_.fake().calls();
    ASSERT_GE(calls.size(), 2U);
    EXPECT_EQ(calls[0].route, "/machines/certificate/renew");
    EXPECT_EQ(calls[0].certificate_pem, old_chain); // renewal authenticates with the current cert
    EXPECT_EQ(calls[1].route, "/machines/heartbeat");
    EXPECT_NE(calls[1].certificate_pem, old_chain); // the heartbeat already uses the new one

    const auto new_key = azcm::fs::readFile(certs() / "machine.key").value();
    const auto new_chain = azcm::fs::readFile(certs() / "machine.crt").value();
    EXPECT_NE(new_key, old_key);
    EXPECT_EQ(new_chain, calls[1].certificate_pem);
    const auto leaf = azcm::crypto::parseCertificatePem(new_chain).value();
    EXPECT_EQ(azcm::crypto::publicKeyDer(new_key).value(), leaf.public_key_der);
    EXPECT_FALSE(std::filesystem::exists(certs() / "machine.key.new"));
    EXPECT_FALSE(std::filesystem::exists(certs() / "machine.crt.new"));

    const auto status =
        harness_.waitForStatus([](const json& s) { return s["agentStatus"] == "Connected"; });
    EXPECT_EQ(status["agentStatus"], "Connected");
    EXPECT_EQ(status["certificate"]["thumbprint"], leaf.thumbprint_sha1_hex);
}

TEST_F(HeartbeatTest, RefusedRenewalKeepsTheCurrentCertificate) {
    harness_.fake().setResponder([](const RecordedCall& call) {
        if (call.route == "/machines/certificate/renew") {
            return azcm::Result<ServiceReply>(ServiceReply{500, nullptr});
        }
        return azcm::Result<ServiceReply>(ServiceReply{200, json{{"status", "Connected"}}});
    });
    const auto old_chain = installIdentity(10min, std::chrono::system_clock::now() - 9min);
    harness_.start();
    ASSERT_TRUE(harness_.waitForCalls("/machines/heartbeat", 1, kWait));
    EXPECT_EQ(azcm::fs::readFile(certs() / "machine.crt").value(), old_chain);
    const auto status =
        harness_.waitForStatus([](const json& s) { return s["agentStatus"] == "Connected"; });
    EXPECT_EQ(status["agentStatus"], "Connected");
    EXPECT_EQ(status["lastError"]["code"], "CertificateRenewalFailed");
}

TEST_F(HeartbeatTest, MismatchedIdentityOnDiskIsNotLoaded) {
    installIdentity(std::chrono::hours(24), std::chrono::system_clock::now() - 1min);
    ASSERT_TRUE(
        azcm::fs::writeFileAtomic(certs() / "machine.key", azcm::test::testPki().server_key_pem));
    harness_.start();
    const auto status = harness_.callJson(Verb::get, "/status");
    EXPECT_EQ(status["connected"], false);
    EXPECT_EQ(status["lastError"]["code"], "IdentityLoadFailed");
    EXPECT_EQ(harness_.fake().calls().size(), 0U);
}

} // namespace
