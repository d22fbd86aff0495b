#include "himds_harness.hpp"

#include "common/config/agent_config.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "common/daemon/daemon_runner.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/ipc/ipc_client.hpp"
#include "test_pki.hpp"

#include <fstream>
#include <stdexcept>

#include <unistd.h>

namespace azcm::himds::test {

FakeIdentityService::FakeIdentityService()
    : responder_([](const RecordedCall&) -> Result<ServiceReply> {
          return ServiceReply{200, {{"status", "Connected"}}};
      }) {}

Result<ServiceReply> FakeIdentityService::post(const ServiceEndpoint& endpoint,
                                               const MachineIdentity& identity,
                                               std::string_view route,
                                               const nlohmann::json& body) {
    RecordedCall call{std::string(route), body, identity.certificate_pem, endpoint};
    Responder responder;
    {
        std::lock_guard lock(mutex_);
        responder = responder_;
    }
    auto reply = responder(call);
    {
        std::lock_guard lock(mutex_);
        calls_.push_back(std::move(call));
    }
    return reply;
}

void FakeIdentityService::setResponder(Responder responder) {
    std::lock_guard lock(mutex_);
    responder_ = std::move(responder);
}

std::vector<RecordedCall> FakeIdentityService::calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

std::size_t FakeIdentityService::count(std::string_view route) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& call : calls_) {
        n += call.route == route ? 1 : 0;
    }
    return n;
}

bool Harness::waitForCalls(std::string_view route, std::size_t n, std::chrono::seconds deadline) {
    return azcm::test::pumpUntil(
        io_, [&] { return fake_->count(route) >= n; },
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline));
}

Harness::Harness() : paths_(dir_.path()), fake_(std::make_shared<FakeIdentityService>()) {
    // As in the daemon, so modes that matter are set explicitly and not inherited from a umask.
    azcm::daemon::applyDaemonUmask();
    options_.privileged_uid = ::geteuid();
    options_.facts_root = "/";
    options_.imds_port = 0; // a free port: tests run in parallel
    std::ofstream(caFile()) << azcm::test::testPki().ca_cert_pem;
}

Harness::~Harness() {
    stop();
}

void Harness::start() {
    workers_.emplace(2);
    service_ = HimdsService::create(io_, *workers_, paths_, options_, fake_);
    auto started = service_->start();
    if (!started) {
        throw std::runtime_error("himds did not start: " + started.error().message);
    }
    imds_port_ = service_->imdsPort();
}

void Harness::stop() {
    if (!service_) {
        return;
    }
    service_->stop();
    workers_->join();
    azcm::test::pumpReady(io_);
    service_.reset();
}

http::Response Harness::call(http::Verb verb, const std::string& target, const std::string& body) {
    auto response =
        whilePumping([&] { return ipc::call(paths_.socketFor("himds"), verb, target, body); });
    if (!response) {
        throw std::runtime_error("ipc call failed: " + response.error().message);
    }
    return std::move(response).value();
}

nlohmann::json
Harness::callJson(http::Verb verb, const std::string& target, const std::string& body) {
    return nlohmann::json::parse(call(verb, target, body).body());
}

nlohmann::json Harness::waitForStatus(const std::function<bool(const nlohmann::json&)>& accept,
                                      std::chrono::seconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    auto status = callJson(http::Verb::get, "/status");
    while (!accept(status) && std::chrono::steady_clock::now() < until) {
        azcm::test::pumpUntil(
            io_, [] { return false; }, std::chrono::milliseconds(20));
        status = callJson(http::Verb::get, "/status");
    }
    return status;
}

void Harness::installIdentity(std::chrono::seconds lifetime) {
    const auto& key = azcm::test::testPki().client_key_pem;
    const auto chain = issueFromTestCa(crypto::publicKeyDer(key).value(), lifetime,
                                       std::chrono::system_clock::now() - std::chrono::minutes(1));
    const auto certs = paths_.certsDir();
    if (!fs::ensureDirectory(certs, {0700, {}}) ||
        !fs::writeFileAtomic(certs / "machine.key", key) ||
        !fs::writeFileAtomic(certs / "machine.crt", chain)) {
        throw std::runtime_error("cannot install the test identity");
    }
    writeAgentConfig();
}

void Harness::writeAgentConfig() {
    config::AgentConfig agent;
    agent.tenant_id = "00000000-0000-0000-0000-000000000001";
    agent.subscription_id = "00000000-0000-0000-0000-000000000002";
    agent.resource_group = "rg";
    agent.resource_name = "web01";
    agent.location = "westeurope";
    agent.vm_id = "11111111-2222-3333-4444-555555555555";
    agent.cloud.name = "Emulator";
    agent.cloud.ca_cert_path = caFile().string();
    agent.cloud.endpoints.entra = "https://127.0.0.1:9";
    agent.cloud.endpoints.arm = "https://127.0.0.1:9/arm";
    agent.cloud.endpoints.identity = "https://127.0.0.1:9/identity";
    agent.cloud.endpoints.guest_configuration = "https://127.0.0.1:9/gc";
    std::filesystem::create_directories(paths_.agentDataDir());
    auto saved = config::saveAgentConfig(paths_.agentConfig(), agent);
    if (!saved) {
        throw std::runtime_error(saved.error().message);
    }
}

std::string issueFromTestCa(const std::string& spki_der,
                            std::chrono::seconds lifetime,
                            std::optional<std::chrono::system_clock::time_point> not_before) {
    const auto& pki = azcm::test::testPki();
    crypto::IssueRequest request;
    request.subject_common_name = "web01";
    request.subject_public_key_der = spki_der;
    request.usage = crypto::CertificateUsage::kClient;
    request.lifetime = lifetime;
    if (not_before) {
        request.not_before = *not_before;
    }
    auto leaf = crypto::issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, request);
    if (!leaf) {
        throw std::runtime_error("cannot issue: " + leaf.error().message);
    }
    return leaf.value() + pki.ca_cert_pem;
}

Result<ServiceReply> renewFromTestCa(const RecordedCall& call) {
    if (call.route != "/machines/certificate/renew") {
        return ServiceReply{200, {{"status", "Connected"}}};
    }
    auto csr = crypto::parseCsr(call.body.at("csr").get<std::string>());
    if (!csr) {
        return ServiceReply{400, {{"error", {{"code", "BadCsr"}, {"message", "bad"}}}}};
    }
    return ServiceReply{200, {{"certificate", issueFromTestCa(csr.value().public_key_der)}}};
}

} // namespace azcm::himds::test
