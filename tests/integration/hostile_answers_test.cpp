// Control-plane answers of the wrong shape against the real gcservice and extservice: a fake
// control plane (TLS, trusted through the cloud's CA file) answers every call with an error body
// whose fields have the wrong types ({"code": 5}). Each daemon reports the malformed field and
// keeps running; before, the type error escaped its worker thread and terminated it.
#include "common/config/agent_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/http/http_server.hpp"
#include "common/paths/paths.hpp"
#include "sandbox.hpp"
#include "test_pki.hpp"

#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace asio = boost::asio;

// A control plane that answers everything with HTTP 500 and a malformed error body, and a himds
// control socket that hands out tokens, both on one io thread of the test process.
class FakeServices {
public:
    explicit FakeServices(const Sandbox& sandbox) {
        auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
        tls->use_certificate_chain(asio::buffer(testPki().server_cert_pem));
        tls->use_private_key(asio::buffer(testPki().server_key_pem), asio::ssl::context::pem);
        control_plane_ = std::make_unique<http::HttpServer>(
            io_.get_executor(),
            [this](http::Request&& request, const http::PeerInfo&, http::Respond respond) {
                const std::string target(request.target());
                count(target.substr(0, target.find('?')));
                respond(http::makeJsonResponse(
                    request, http::Status::internal_server_error,
                    R"({"error": {"code": 5, "message": ["not", "a", "string"]}})"));
            });
        port_ = control_plane_->listenTls("127.0.0.1", 0, tls).value();

        const Paths paths(sandbox.root());
        if (!fs::ensureDirectory(paths.socketsDir(), {0755, {}})) {
            throw std::runtime_error("cannot create the sockets directory");
        }
        himds_ = std::make_unique<http::HttpServer>(
            io_.get_executor(),
            [](http::Request&& request, const http::PeerInfo&, http::Respond respond) {
                const auto expires = std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch() + 1h)
                                         .count();
                respond(http::makeJsonResponse(request, http::Status::ok,
                                               json{{"access_token", "fake-token"},
                                                    {"expires_on", std::to_string(expires)},
                                                    {"token_type", "Bearer"}}
                                                   .dump()));
            });
        if (!himds_->listenLocal(paths.socketFor("himds"), 0666)) {
            throw std::runtime_error("cannot listen on the himds socket");
        }
        thread_ = std::thread([this] { io_.run(); });
    }

    ~FakeServices() {
        asio::post(io_, [this] {
            control_plane_->stop();
            himds_->stop();
        });
        guard_.reset();
        thread_.join();
    }

    FakeServices(const FakeServices&) = delete;
    FakeServices& operator=(const FakeServices&) = delete;
    FakeServices(FakeServices&&) = delete;
    FakeServices& operator=(FakeServices&&) = delete;

    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

    int requests(const std::string& path) {
        std::lock_guard lock(mutex_);
        return counts_[path];
    }

private:
    void count(const std::string& path) {
        std::lock_guard lock(mutex_);
        ++counts_[path];
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
    std::unique_ptr<http::HttpServer> control_plane_;
    std::unique_ptr<http::HttpServer> himds_;
    std::uint16_t port_ = 0;
    std::mutex mutex_;
    std::map<std::string, int> counts_;
    std::thread thread_;
};

// agentconfig.json of a connected machine whose every endpoint is the fake control plane.
void connectTo(const Sandbox& sandbox, const std::string& url) {
    const auto ca_file = sandbox.root() / "fake-ca.pem";
    ASSERT_TRUE(fs::writeFileAtomic(ca_file, testPki().ca_cert_pem, {0644, {}}));
    config::AgentConfig agent;
    agent.tenant_id = "t";
    agent.subscription_id = "s";
    agent.resource_group = "rg";
    agent.resource_name = "hostile";
    agent.location = "westeurope";
    agent.cloud.name = "Fake";
    agent.cloud.ca_cert_path = ca_file.string();
    agent.cloud.endpoints = {url, url, url, url};
    const auto path = Paths(sandbox.root()).agentConfig();
    ASSERT_TRUE(fs::ensureDirectory(path.parent_path(), {0755, {}}));
    ASSERT_TRUE(config::saveAgentConfig(path, agent));
}

struct Case {
    std::string daemon;
    std::map<std::string, std::string> env;
    std::string path; // the control-plane call it keeps making
};

class HostileAnswersTest : public ::testing::TestWithParam<Case> {};

TEST_P(HostileAnswersTest, AWrongTypeIsAnErrorNamingTheFieldAndTheDaemonLives) {
    const auto& param = GetParam();
    Sandbox sandbox;
    FakeServices fake(sandbox);
    connectTo(sandbox, fake.url());
    sandbox.startDaemon(param.daemon, param.env);
    // The failure is logged once the HTTP client has spent its retries on the call; then the
    // daemon comes back for more.
    const std::string expected = "field 'code': a string expected, got a number";
    ASSERT_TRUE(waitUntil(
        [&] { return sandbox.readLog(param.daemon + ".out").find(expected) != std::string::npos; },
        60s))
        << sandbox.readLog(param.daemon + ".out");
    const int answered = fake.requests(param.path);
    ASSERT_TRUE(waitUntil([&] { return fake.requests(param.path) > answered; }, 60s))
        << sandbox.readLog(param.daemon + ".out");
    EXPECT_TRUE(sandbox.daemonRunning(param.daemon)) << sandbox.readLog(param.daemon + ".out");
    EXPECT_EQ(sandbox.stopDaemon(param.daemon), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Daemons,
    HostileAnswersTest,
    ::testing::Values(Case{"gcservice",
                           {{"AZCM_GC_POLL_SECONDS", "1"}, {"AZCM_GC_RETRY_SECONDS", "1"}},
                           "/machines/assignments"},
                      Case{"extservice",
                           {{"AZCM_EXT_POLL_SECONDS", "1"}},
                           "/machines/extensions/settingsCertificate"}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.daemon; });

} // namespace
} // namespace azcm::test
