#pragma once
// Runs HimdsService in-process on a sandbox root with a fake identity service, and helpers to make
// the certificates the service would issue. The test's own thread runs the service's io_context
// (tests/testutils/loop_pump.hpp): the service makes progress only while the harness pumps it,
// during a call into it (the client then runs on a thread of its own) or a wait for its effects.
#include "common/http/http_types.hpp"
#include "common/paths/paths.hpp"
#include "himds/himds_service.hpp"
#include "loop_pump.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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

private:
    mutable std::mutex mutex_;
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

    // Builds and starts the service (its io_context runs only while the harness pumps it).
    void start();
    // The IMDS port the service bound (a free one: options().imds_port is 0 by default here).
    std::uint16_t imdsPort() const { return imds_port_; }
    // machine.key + machine.crt + agentconfig.json as `azcmagent connect` leaves them.
    void installIdentity(std::chrono::seconds lifetime = std::chrono::hours(24 * 90));
    // Stops the service, joins its workers and runs what they posted back; safe to call twice.
    void stop();

    // Runs `blocking` (a client talking to the service: a socket call, an IMDS request) on a
    // thread of its own while this thread pumps the service until it returns; its result.
    template <class Blocking> auto whilePumping(Blocking&& blocking) -> decltype(blocking()) {
        auto pending = std::async(std::launch::async, std::forward<Blocking>(blocking));
        const auto returned = [&pending] {
            return pending.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
        };
        // The clients have timeouts of their own: pump until they give up, however long.
        while (!azcm::test::pumpUntil(io_, returned)) {
        }
        return pending.get();
    }
    // Pumps until the fake identity service saw `route` at least `n` times (false after
    // `deadline`).
    bool waitForCalls(std::string_view route, std::size_t n, std::chrono::seconds deadline);

    http::Response call(http::Verb verb, const std::string& target, const std::string& body = {});
    nlohmann::json
    callJson(http::Verb verb, const std::string& target, const std::string& body = {});

    // Asks GET /status, pumping between questions, until `accept` holds (the heartbeat outcome is
    // applied on the loop after the fake saw the call); returns the last status either way.
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
    std::shared_ptr<HimdsService> service_;
    std::uint16_t imds_port_ = 0;
};

// A certificate chain (leaf, then the CA) from the test CA for the SubjectPublicKeyInfo `spki_der`.
std::string issueFromTestCa(const std::string& spki_der,
                            std::chrono::seconds lifetime = std::chrono::hours(24 * 90),
                            std::optional<std::chrono::system_clock::time_point> not_before = {});

// "/machines/certificate/renew" answers like the identity service: a certificate for the CSR.
Result<ServiceReply> renewFromTestCa(const RecordedCall& call);

} // namespace azcm::himds::test
