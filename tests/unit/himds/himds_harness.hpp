#pragma once
// Runs HimdsService in-process on a sandbox root with a fake identity service, and helpers to make
// the certificates the service would issue.
#include "common/http/http_types.hpp"
#include "common/paths/paths.hpp"
#include "himds/himds_service.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <nlohmann/json.hpp>

namespace azcm::himds::test {

struct RecordedCall {
    std::string route;
    nlohmann::json body;
    std::string certificate_pem;
    ServiceEndpoint endpoint;
};

class FakeIdentityService final : public IdentityServiceClient {
public:
    using Responder = std::function<Result<ServiceReply>(const RecordedCall&)>;

    // Default: every heartbeat succeeds.
    FakeIdentityService();

    Result<ServiceReply> post(const ServiceEndpoint& endpoint,
                              const MachineIdentity& identity,
                              std::string_view route,
                              const nlohmann::json& body) override;

    void setResponder(Responder responder);
    std::vector<RecordedCall> calls() const;
    std::size_t count(std::string_view route) const;
    // Waits until `route` was called at least `n` times (false after the deadline).
    bool waitFor(std::string_view route, std::size_t n, std::chrono::seconds deadline);

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    Responder responder_;
    std::vector<RecordedCall> calls_;
};

class Harness {
public:
    Harness();
    ~Harness();
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;
    Harness(Harness&&) = delete;
    Harness& operator=(Harness&&) = delete;

    const Paths& paths() const { return paths_; }
    const std::filesystem::path& root() const { return dir_.path(); }
    FakeIdentityService& fake() { return *fake_; }
    HimdsOptions& options() { return options_; }

    // Builds the service and runs the io_context on a thread of its own.
    void start();
    // The IMDS port the service bound (a free one: options().imds_port is 0 by default here).
    std::uint16_t imdsPort() const { return imds_port_; }
    // machine.key + machine.crt + agentconfig.json as `azcmagent connect` leaves them.
    void installIdentity(std::chrono::seconds lifetime = std::chrono::hours(24 * 90));
    // Stops the service and joins every thread; safe to call twice.
    void stop();

    http::Response call(http::Verb verb, const std::string& target, const std::string& body = {});
    nlohmann::json
    callJson(http::Verb verb, const std::string& target, const std::string& body = {});

    // Polls GET /status until `accept` holds (the heartbeat outcome is applied on the io thread
    // after the fake saw the call); returns the last status either way.
    nlohmann::json waitForStatus(const std::function<bool(const nlohmann::json&)>& accept,
                                 std::chrono::seconds deadline = std::chrono::seconds(20));

    // agentconfig.json with the test CA as cloud.caCertPath.
    void writeAgentConfig();
    std::filesystem::path caFile() const { return dir_.path() / "ca.pem"; }

private:
    azcm::test::TempDir dir_;
    Paths paths_;
    HimdsOptions options_;
    std::shared_ptr<FakeIdentityService> fake_;
    boost::asio::io_context io_;
    std::optional<boost::asio::thread_pool> workers_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
    std::shared_ptr<HimdsService> service_;
    std::thread thread_;
    std::uint16_t imds_port_ = 0;
};

// A certificate chain (leaf, then the CA) from the test CA for the SubjectPublicKeyInfo `spki_der`.
std::string issueFromTestCa(const std::string& spki_der,
                            std::chrono::seconds lifetime = std::chrono::hours(24 * 90),
                            std::optional<std::chrono::system_clock::time_point> not_before = {});

// "/machines/certificate/renew" answers like the identity service: a certificate for the CSR.
Result<ServiceReply> renewFromTestCa(const RecordedCall& call);

} // namespace azcm::himds::test
