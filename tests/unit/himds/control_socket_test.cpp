// The control socket of himds (docs/protocol.md section 1), driven over the real Unix socket.
#include "common/agent_version.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/ipc/ipc_client.hpp"
#include "himds_harness.hpp"
#include "test_pki.hpp"

#include <fstream>
#include <future>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using azcm::himds::test::Harness;
using azcm::http::Verb;
using nlohmann::json;

mode_t permissionsOf(const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

bool fileExists(const std::filesystem::path& path) {
    return std::filesystem::exists(path);
}

std::string decodedPublicKey(const json& keys) {
    auto der = azcm::crypto::base64Decode(keys.at("publicKey").get<std::string>());
    EXPECT_TRUE(der);
    return der ? der.value() : std::string();
}

class ControlSocketTest : public ::testing::Test {
protected:
    Harness harness_;
    std::filesystem::path certs() const { return harness_.paths().certsDir(); }

    json createKeys() {
        auto response =
            harness_.call(Verb::post, "/identity/keys", json{{"commonName", "web01"}}.dump());
        EXPECT_EQ(response.result_int(), 200U) << response.body();
        return json::parse(response.body());
    }
    azcm::http::Response activate(const std::string& chain) {
        return harness_.call(Verb::post, "/identity/activate", json{{"certificate", chain}}.dump());
    }
};

TEST_F(ControlSocketTest, StartsDisconnectedWithItsDirectories) {
    harness_.start();
    const auto status = harness_.callJson(Verb::get, "/status");
    EXPECT_EQ(status["daemon"], "himds");
    EXPECT_EQ(status["version"], azcm::agentVersion());
    EXPECT_EQ(status["connected"], false);
    EXPECT_EQ(status["agentStatus"], "Disconnected");
    EXPECT_TRUE(status["certificate"].is_null());
    EXPECT_EQ(status["heartbeatIntervalSeconds"], 300);
    EXPECT_EQ(permissionsOf(harness_.root() / "var"), 0755U);
    EXPECT_EQ(permissionsOf(harness_.paths().agentDataDir()), 0755U);
    EXPECT_EQ(permissionsOf(harness_.paths().logDir()), 0755U);
    EXPECT_EQ(permissionsOf(certs()), 0700U);
    EXPECT_EQ(permissionsOf(harness_.paths().socketsDir()), 0755U);
    EXPECT_EQ(permissionsOf(harness_.paths().socketFor("himds")), 0666U);
}

TEST_F(ControlSocketTest, UnknownRouteAndWrongMethodAreJsonErrors) {
    harness_.start();
    auto missing = harness_.call(Verb::get, "/nope");
    EXPECT_EQ(missing.result_int(), 404U);
    EXPECT_EQ(json::parse(missing.body())["error"]["code"], "NotFound");
    auto wrong = harness_.call(Verb::get, "/identity/keys");
    EXPECT_EQ(wrong.result_int(), 405U);
    EXPECT_EQ(json::parse(wrong.body())["error"]["code"], "MethodNotAllowed");
    EXPECT_EQ(harness_.call(Verb::post, "/status").result_int(), 405U);
}

TEST_F(ControlSocketTest, KeysWritesPendingKeyAndMatchingCsr) {
    harness_.start();
    const auto keys = createKeys();
    const auto pending = certs() / "pending.key";
    ASSERT_TRUE(fileExists(pending));
    EXPECT_EQ(permissionsOf(pending), 0600U);

    const auto public_key = decodedPublicKey(keys);
    auto csr = azcm::crypto::parseCsr(keys.at("csr").get<std::string>());
    ASSERT_TRUE(csr) << csr.error().message;
    EXPECT_EQ(csr.value().common_name, "web01");
    EXPECT_EQ(csr.value().public_key_der, public_key);

    auto pem = azcm::fs::readFile(pending);
    ASSERT_TRUE(pem);
    auto pending_public = azcm::crypto::publicKeyDer(pem.value());
    ASSERT_TRUE(pending_public);
    EXPECT_EQ(pending_public.value(), public_key);

    // A second call replaces the older pending key.
    const auto again = createKeys();
    EXPECT_NE(decodedPublicKey(again), public_key);
    EXPECT_EQ(azcm::crypto::publicKeyDer(azcm::fs::readFile(pending).value()).value(),
              decodedPublicKey(again));
}

TEST_F(ControlSocketTest, KeysRefusesABadBody) {
    harness_.start();
    EXPECT_EQ(harness_.call(Verb::post, "/identity/keys", "not json").result_int(), 400U);
    EXPECT_EQ(harness_.call(Verb::post, "/identity/keys", "{}").result_int(), 400U);
    EXPECT_EQ(
        harness_.call(Verb::post, "/identity/keys", json{{"commonName", ""}}.dump()).result_int(),
        400U);
    EXPECT_EQ(
        harness_
            .call(Verb::post, "/identity/keys", json{{"commonName", std::string(65, 'a')}}.dump())
            .result_int(),
        400U);
    EXPECT_FALSE(fileExists(certs() / "pending.key"));
}

TEST_F(ControlSocketTest, ActivateRefusesACertificateForAnotherKey) {
    harness_.start();
    harness_.writeAgentConfig();
    createKeys();
    const auto other = azcm::crypto::publicKeyDer(azcm::test::testPki().client_key_pem).value();
    auto response = activate(azcm::himds::test::issueFromTestCa(other));
    EXPECT_EQ(response.result_int(), 400U);
    EXPECT_EQ(json::parse(response.body())["error"]["code"], "CertificateKeyMismatch");
    EXPECT_FALSE(fileExists(certs() / "machine.key"));
    EXPECT_FALSE(fileExists(certs() / "machine.crt"));
    EXPECT_TRUE(fileExists(certs() / "pending.key"));
    EXPECT_EQ(harness_.fake().calls().size(), 0U);
    EXPECT_EQ(harness_.callJson(Verb::get, "/status")["connected"], false);
}

TEST_F(ControlSocketTest, ActivateWithoutAgentConfigFails) {
    harness_.start();
    const auto keys = createKeys();
    auto response = activate(azcm::himds::test::issueFromTestCa(decodedPublicKey(keys)));
    EXPECT_EQ(response.result_int(), 409U);
    EXPECT_EQ(json::parse(response.body())["error"]["code"], "AgentConfigMissing");
    EXPECT_FALSE(fileExists(certs() / "machine.key"));
    EXPECT_FALSE(fileExists(certs() / "machine.crt"));
}

TEST_F(ControlSocketTest, ActivateRefusesAnUntrustedIssuer) {
    harness_.start();
    harness_.writeAgentConfig();
    const auto keys = createKeys();
    // A CA of its own, not the one agentconfig.json trusts.
    const auto rogue_key = azcm::crypto::generateRsaPrivateKeyPem().value();
    const auto rogue_ca =
        azcm::crypto::createSelfSignedCaPem(rogue_key, "Rogue CA", std::chrono::hours(1)).value();
    azcm::crypto::IssueRequest request;
    request.subject_common_name = "web01";
    request.subject_public_key_der = decodedPublicKey(keys);
    const auto leaf = azcm::crypto::issueCertificatePem(rogue_ca, rogue_key, request).value();
    auto response = activate(leaf + rogue_ca);
    EXPECT_EQ(response.result_int(), 400U);
    EXPECT_EQ(json::parse(response.body())["error"]["code"], "CertificateUntrusted");
    EXPECT_FALSE(fileExists(certs() / "machine.key"));
}

TEST_F(ControlSocketTest, ActivateWithoutPendingKeyIsAConflict) {
    harness_.start();
    harness_.writeAgentConfig();
    const auto spki = azcm::crypto::publicKeyDer(azcm::test::testPki().client_key_pem).value();
    auto response = activate(azcm::himds::test::issueFromTestCa(spki));
    EXPECT_EQ(response.result_int(), 409U);
    EXPECT_EQ(json::parse(response.body())["error"]["code"], "NoPendingKey");
}

TEST_F(ControlSocketTest, ActivateInstallsIdentityAndHeartbeatsAtOnce) {
    harness_.fake().setResponder([](const azcm::himds::test::RecordedCall&) {
        return azcm::Result<azcm::himds::ServiceReply>(azcm::himds::ServiceReply{
            200, json{{"status", "Connected"}, {"vmId", "vm-from-service"}}});
    });
    harness_.start();
    harness_.writeAgentConfig();
    const auto keys = createKeys();
    const auto chain = azcm::himds::test::issueFromTestCa(decodedPublicKey(keys));
    auto response = activate(chain);
    ASSERT_EQ(response.result_int(), 200U) << response.body();
    const auto status = json::parse(response.body());
    EXPECT_EQ(status["connected"], true);
    EXPECT_EQ(status["agentStatus"], "Connected");
    EXPECT_NE(status["lastHeartbeat"], "");
    EXPECT_EQ(status["vmId"], "vm-from-service");
    EXPECT_EQ(status["resourceId"], "/subscriptions/00000000-0000-0000-0000-000000000002/"
                                    "resourceGroups/rg/providers/Microsoft.HybridCompute/"
                                    "machines/web01");
    const auto leaf = azcm::crypto::parseCertificatePem(chain).value();
    EXPECT_EQ(status["certificate"]["thumbprint"], leaf.thumbprint_sha1_hex);

    EXPECT_FALSE(fileExists(certs() / "pending.key"));
    EXPECT_EQ(permissionsOf(certs() / "machine.key"), 0600U);
    EXPECT_EQ(permissionsOf(certs() / "machine.crt"), 0600U);
    EXPECT_EQ(azcm::fs::readFile(certs() / "machine.crt").value(), chain);

    const auto calls = harness_.fake().calls();
    ASSERT_EQ(calls.size(), 1U);
    EXPECT_EQ(calls[0].route, "/machines/heartbeat");
    EXPECT_EQ(calls[0].certificate_pem, chain);
    EXPECT_EQ(calls[0].endpoint.identity_url, "https://127.0.0.1:9/identity");
    EXPECT_EQ(calls[0].endpoint.ca_file, harness_.caFile());
    EXPECT_EQ(calls[0].body["agentVersion"], azcm::agentVersion());
    EXPECT_EQ(calls[0].body["machine"]["osType"], "linux");
    EXPECT_EQ(calls[0].body["agentConfiguration"]["configMode"], "full");
}

TEST_F(ControlSocketTest, ActivateAnswersEvenWhenTheHeartbeatFails) {
    harness_.fake().setResponder([](const azcm::himds::test::RecordedCall&) {
        return azcm::Result<azcm::himds::ServiceReply>(
            azcm::makeError(azcm::exitcode::kNetwork, "connection refused"));
    });
    harness_.start();
    harness_.writeAgentConfig();
    const auto keys = createKeys();
    auto response = activate(azcm::himds::test::issueFromTestCa(decodedPublicKey(keys)));
    ASSERT_EQ(response.result_int(), 200U) << response.body();
    const auto status = json::parse(response.body());
    EXPECT_EQ(status["connected"], true);
    EXPECT_EQ(status["agentStatus"], "Disconnected");
    EXPECT_EQ(status["lastError"]["code"], "HeartbeatFailed");
    EXPECT_NE(status["lastError"]["message"].get<std::string>().find("connection refused"),
              std::string::npos);
    EXPECT_TRUE(fileExists(certs() / "machine.key"));
}

TEST_F(ControlSocketTest, DeactivateRemovesTheIdentity) {
    harness_.start();
    harness_.writeAgentConfig();
    const auto keys = createKeys();
    ASSERT_EQ(activate(azcm::himds::test::issueFromTestCa(decodedPublicKey(keys))).result_int(),
              200U);
    createKeys(); // a pending key too, which deactivate removes as well
    auto response = harness_.call(Verb::post, "/identity/deactivate");
    ASSERT_EQ(response.result_int(), 200U);
    EXPECT_EQ(json::parse(response.body()), json({{"status", "Disconnected"}}));
    EXPECT_FALSE(fileExists(certs() / "machine.key"));
    EXPECT_FALSE(fileExists(certs() / "machine.crt"));
    EXPECT_FALSE(fileExists(certs() / "pending.key"));
    const auto status = harness_.callJson(Verb::get, "/status");
    EXPECT_EQ(status["connected"], false);
    EXPECT_EQ(status["agentStatus"], "Disconnected");
    EXPECT_TRUE(status["certificate"].is_null());
    EXPECT_EQ(status["lastHeartbeat"], "");
}

TEST_F(ControlSocketTest, ReloadReadsTheProxyForTheNextHeartbeat) {
    harness_.start();
    harness_.writeAgentConfig();
    std::ofstream(harness_.paths().localConfig())
        << json{{"proxy.url", "http://proxy.example:3128"}}.dump();
    auto reload = harness_.call(Verb::post, "/reload");
    ASSERT_EQ(reload.result_int(), 200U) << reload.body();
    EXPECT_EQ(json::parse(reload.body())["reloaded"], true);

    const auto keys = createKeys();
    ASSERT_EQ(activate(azcm::himds::test::issueFromTestCa(decodedPublicKey(keys))).result_int(),
              200U);
    const auto calls = harness_.fake().calls();
    ASSERT_EQ(calls.size(), 1U);
    EXPECT_EQ(calls[0].endpoint.proxy, std::optional<std::string>("http://proxy.example:3128"));
    EXPECT_EQ(calls[0].body["agentConfiguration"]["proxyUrl"], "http://proxy.example:3128");
}

TEST_F(ControlSocketTest, ReloadWithABadFileKeepsTheOldSettings) {
    harness_.start();
    std::ofstream(harness_.paths().localConfig()) << "{broken";
    auto reload = harness_.call(Verb::post, "/reload");
    EXPECT_EQ(reload.result_int(), 500U);
    EXPECT_EQ(json::parse(reload.body())["error"]["code"], "ReloadFailed");
}

TEST_F(ControlSocketTest, ShutdownRouteAsksTheRunnerToStop) {
    std::promise<void> asked;
    harness_.options().request_shutdown = [&asked] { asked.set_value(); };
    harness_.start();
    auto response = harness_.call(Verb::post, "/shutdown");
    ASSERT_EQ(response.result_int(), 200U);
    EXPECT_EQ(json::parse(response.body())["stopping"], true);
    // The route answers first and asks the runner on the loop afterwards: pump while waiting.
    auto stop_asked = asked.get_future();
    EXPECT_EQ(harness_.whilePumping([&] { return stop_asked.wait_for(std::chrono::seconds(10)); }),
              std::future_status::ready);
}

TEST_F(ControlSocketTest, PrivilegedRoutesRefuseOtherUsers) {
    if (::geteuid() != 0) {
        // Not root: make our own uid the unprivileged one.
        harness_.options().control_access.privileged_uid = ::geteuid() + 1;
        harness_.start();
        for (const char* route :
             {"/identity/keys", "/identity/activate", "/identity/deactivate", "/identity/token",
              "/agentupgrade/result", "/reload", "/shutdown"}) {
            auto response = harness_.call(Verb::post, route, "{}");
            EXPECT_EQ(response.result_int(), 403U) << route;
            EXPECT_EQ(json::parse(response.body())["error"]["code"], "Forbidden");
        }
        EXPECT_EQ(harness_.call(Verb::get, "/identity").result_int(), 403U);
        EXPECT_EQ(harness_.call(Verb::get, "/status").result_int(), 200U);
        return;
    }
    // Root is always privileged: ask from a child that drops to nobody. The child is forked
    // before any thread exists, and waits on a pipe until the socket is bound.
    std::filesystem::permissions(harness_.root(), std::filesystem::perms(0755));
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    const auto socket = harness_.paths().socketFor("himds");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(go[1]);
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
            ::_exit(90);
        }
        char byte = 0;
        if (::read(go[0], &byte, 1) != 1) {
            ::_exit(91);
        }
        int failures = 0;
        for (const char* route : {"/identity/keys", "/identity/deactivate", "/identity/token",
                                  "/agentupgrade/result", "/reload", "/shutdown"}) {
            auto response = azcm::ipc::call(socket, Verb::post, route,
                                            json{{"commonName", "x"}, {"resource", "x"}}.dump());
            if (!response || response.value().result_int() != 403) {
                ++failures;
            }
        }
        // Identity facts and service tokens are for root (the agent's services) only.
        auto identity = azcm::ipc::call(socket, Verb::get, "/identity");
        if (!identity || identity.value().result_int() != 403) {
            ++failures;
        }
        auto status = azcm::ipc::call(socket, Verb::get, "/status");
        if (!status || status.value().result_int() != 200) {
            ++failures;
        }
        ::_exit(failures);
    }
    ::close(go[0]);
    harness_.start();
    ASSERT_EQ(::write(go[1], "x", 1), 1);
    ::close(go[1]);
    int wstatus = 0;
    ASSERT_EQ(harness_.whilePumping([&] { return ::waitpid(child, &wstatus, 0); }), child);
    ASSERT_TRUE(WIFEXITED(wstatus));
    EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "routes that did not answer as expected";
    EXPECT_FALSE(fileExists(certs() / "pending.key"));
}

} // namespace
