#include "common/agent_version.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "common/http/client_tls_cache.hpp"
#include "common/http/http_server.hpp"
#include "common/http/https_client.hpp"
#include "connect_proxy.hpp"
#include "io_thread.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/ssl/context.hpp>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

namespace azcm::http {
namespace {

namespace ssl = boost::asio::ssl;
using azcm::test::serialTestPki;
using azcm::test::testPki;
using test::ConnectProxy;
using test::IoThread;

// TLS handshakes the server saw start (counts connection attempts that reached TLS).
std::atomic<int> g_handshakes{0};

void countHandshakes(const SSL*, int where, int) {
    if ((where & SSL_CB_HANDSHAKE_START) != 0) {
        ++g_handshakes;
    }
}

std::shared_ptr<ssl::context> serverTls(const std::string& cert_pem,
                                        const std::string& key_pem,
                                        bool request_client_certificate = false) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    context->use_certificate_chain(boost::asio::buffer(cert_pem));
    context->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem);
    if (request_client_certificate) {
        // verify_peer without fail_if_no_peer_cert: a client certificate is optional.
        context->set_verify_mode(ssl::verify_peer);
        context->add_certificate_authority(boost::asio::buffer(testPki().ca_cert_pem));
        // Resuming a session of a verified client needs a session id context (as any server
        // that asks for client certificates and allows resumption sets).
        static const unsigned char kSessionContext[] = "https-client-test";
        SSL_CTX_set_session_id_context(context->native_handle(), kSessionContext,
                                       sizeof(kSessionContext) - 1);
    }
    SSL_CTX_set_info_callback(context->native_handle(), countHandshakes);
    return context;
}

template <class T> T need(Result<T> result) {
    if (!result) {
        throw std::runtime_error(result.error().message);
    }
    return std::move(result).value();
}

// A server certificate from the test CA with the given SANs.
std::pair<std::string, std::string> issueServerCertificate(std::vector<std::string> dns_names,
                                                           std::vector<std::string> ips) {
    const auto& pki = testPki();
    crypto::IssueRequest request;
    request.subject_common_name = dns_names.empty() ? "no-name" : dns_names.front();
    request.subject_public_key_der = need(crypto::publicKeyDer(pki.server_key_pem));
    request.dns_names = std::move(dns_names);
    request.ip_addresses = std::move(ips);
    request.usage = crypto::CertificateUsage::kServer;
    request.lifetime = std::chrono::hours(1);
    return {need(crypto::issueCertificatePem(pki.ca_cert_pem, pki.ca_key_pem, request)),
            pki.server_key_pem};
}

struct Seen {
    std::atomic<int> requests{0};
    std::mutex mutex;
    std::optional<std::string> client_certificate_der;
    std::string user_agent;
    std::string host;
    std::string body;
};

class HttpsClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        g_handshakes = 0;
        ca_file_ = dir_.path() / "ca.pem";
        std::ofstream(ca_file_) << testPki().ca_cert_pem;
    }

    void TearDown() override {
        if (server_) {
            io_.run([this] { server_->stop(); });
        }
        io_.join();
    }

    // Serves `statuses` in order (the last one repeats), recording what it sees.
    std::uint16_t start(std::shared_ptr<ssl::context> tls,
                        std::vector<std::pair<Status, std::string>> statuses = {{Status::ok, ""}},
                        std::string body = "hello") {
        auto seen = seen_;
        server_ = std::make_unique<HttpServer>(
            io_.executor(),
            [seen, statuses, body](Request&& request, const PeerInfo& peer, Respond respond) {
                const int index = seen->requests++;
                {
                    const std::lock_guard lock(seen->mutex);
                    seen->client_certificate_der = peer.client_certificate_der;
                    seen->user_agent = std::string(request[Field::user_agent]);
                    seen->host = std::string(request[Field::host]);
                    seen->body = request.body();
                }
                const auto& [status, retry_after] =
                    statuses[std::min<std::size_t>(index, statuses.size() - 1)];
                auto response = makeTextResponse(request, status, body);
                if (!retry_after.empty()) {
                    response.set(Field::retry_after, retry_after);
                }
                respond(std::move(response));
            });
        auto port = io_.run([&] { return server_->listenTls("127.0.0.1", 0, tls); });
        EXPECT_TRUE(port) << (port ? "" : port.error().message);
        return port ? port.value() : 0;
    }

    ClientOptions options() const {
        ClientOptions options;
        options.ca_file = ca_file_;
        options.connect_timeout = std::chrono::seconds(5);
        options.request_timeout = std::chrono::seconds(10);
        options.retry.max_attempts = 3;
        options.retry.initial_backoff = std::chrono::milliseconds(1);
        options.retry.max_backoff = std::chrono::milliseconds(5);
        return options;
    }

    static SimpleRequest get(const std::string& url) {
        SimpleRequest request;
        request.url = url;
        return request;
    }

    static std::string url(std::uint16_t port, const std::string& host = "127.0.0.1") {
        return "https://" + host + ":" + std::to_string(port) + "/path?x=1";
    }

    azcm::test::TempDir dir_;
    std::filesystem::path ca_file_;
    std::shared_ptr<Seen> seen_ = std::make_shared<Seen>();
    IoThread io_;
    std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpsClientTest, SucceedsWithTheTestCaOverIpAndName) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem));
    HttpsClient client(options());
    for (const std::string host : {"127.0.0.1", "localhost"}) {
        SCOPED_TRACE(host);
        auto response = client.send(get(url(port, host)));
        ASSERT_TRUE(response) << response.error().message;
        EXPECT_EQ(response.value().result(), Status::ok);
        EXPECT_EQ(response.value().body(), "hello");
        const std::lock_guard lock(seen_->mutex);
        EXPECT_EQ(seen_->user_agent, std::string("azcmagent/") + azcm::agentVersion());
        EXPECT_EQ(seen_->host, host + ":" + std::to_string(port));
    }
}

TEST_F(HttpsClientTest, SendsBodyAndCustomHeaders) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem));
    HttpsClient client(options());
    SimpleRequest request = get(url(port));
    request.method = Verb::post;
    request.body = R"({"a":1})";
    request.headers = {{"Content-Type", "application/json"}, {"User-Agent", "custom/1"}};
    auto response = client.send(request);
    ASSERT_TRUE(response) << response.error().message;
    const std::lock_guard lock(seen_->mutex);
    EXPECT_EQ(seen_->body, R"({"a":1})");
    EXPECT_EQ(seen_->user_agent, "custom/1");
}

TEST_F(HttpsClientTest, RejectsHeaderInjection) {
    HttpsClient client(options());
    SimpleRequest request = get("https://127.0.0.1:1/");
    request.headers = {{"X-Test", "a\r\nInjected: yes"}};
    auto response = client.send(request);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kInvalidArgument);
}

TEST_F(HttpsClientTest, RefusesPlainHttp) {
    HttpsClient client(options());
    auto response = client.send(get("http://127.0.0.1:1/"));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kNetwork);
    EXPECT_NE(response.error().message.find("plain http"), std::string::npos);
}

TEST_F(HttpsClientTest, UnknownCaFailsWithoutRetry) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem));
    const auto other_key = need(crypto::generateRsaPrivateKeyPem());
    const auto other_ca =
        need(crypto::createSelfSignedCaPem(other_key, "Other CA", std::chrono::hours(1)));
    const auto other_file = dir_.path() / "other.pem";
    std::ofstream(other_file) << other_ca;
    auto opts = options();
    opts.ca_file = other_file;
    HttpsClient client(opts);
    auto response = client.send(get(url(port)));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kNetwork);
    EXPECT_NE(response.error().message.find("certificate verify failed"), std::string::npos)
        << response.error().message;
    EXPECT_EQ(g_handshakes.load(), 1);
    EXPECT_EQ(seen_->requests.load(), 0);
}

// The certificate policy at every depth of the server's chain (docs/certificates.md): a
// negative or zero serial is refused once, without a retry and before any request is sent.
void expectRefusedForItsSerial(const Result<Response>& response, const std::string& depth) {
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kNetwork);
    EXPECT_NE(response.error().message.find("certificate verify failed"), std::string::npos)
        << response.error().message;
    EXPECT_NE(response.error().message.find("serial number"), std::string::npos)
        << response.error().message;
    EXPECT_NE(response.error().message.find("at depth " + depth), std::string::npos)
        << response.error().message;
}

TEST_F(HttpsClientTest, ServerCertificateWithANegativeSerialIsRefused) {
    const auto port = start(serverTls(serialTestPki().negative_leaf_pem, testPki().server_key_pem));
    HttpsClient client(options());
    expectRefusedForItsSerial(client.send(get(url(port))), "0");
    EXPECT_EQ(g_handshakes.load(), 1);
    EXPECT_EQ(seen_->requests.load(), 0);
}

TEST_F(HttpsClientTest, ServerCertificateWithAZeroSerialIsRefused) {
    const auto port = start(serverTls(serialTestPki().zero_leaf_pem, testPki().server_key_pem));
    HttpsClient client(options());
    expectRefusedForItsSerial(client.send(get(url(port, "localhost"))), "0");
    EXPECT_EQ(seen_->requests.load(), 0);
}

TEST_F(HttpsClientTest, IntermediateWithANegativeSerialIsRefused) {
    const auto& serials = serialTestPki();
    const auto port =
        start(serverTls(serials.leaf_under_intermediate_pem + serials.negative_intermediate_pem,
                        testPki().server_key_pem));
    HttpsClient client(options());
    expectRefusedForItsSerial(client.send(get(url(port))), "1");
    EXPECT_EQ(seen_->requests.load(), 0);
}

TEST_F(HttpsClientTest, PositiveSerialTwinsAreAcceptedAtDepthZero) {
    const auto port = start(serverTls(serialTestPki().positive_leaf_pem, testPki().server_key_pem));
    HttpsClient client(options());
    auto response = client.send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result(), Status::ok);
}

TEST_F(HttpsClientTest, PositiveSerialTwinsAreAcceptedAtDepthOne) {
    const auto& serials = serialTestPki();
    const auto port =
        start(serverTls(serials.leaf_under_intermediate_pem + serials.positive_intermediate_pem,
                        testPki().server_key_pem));
    HttpsClient client(options());
    auto response = client.send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result(), Status::ok);
}

TEST_F(HttpsClientTest, HostMismatchFails) {
    auto [cert, key] = issueServerCertificate({"other.example"}, {});
    const auto port = start(serverTls(cert, key));
    HttpsClient client(options());
    for (const std::string host : {"127.0.0.1", "localhost"}) {
        SCOPED_TRACE(host);
        auto response = client.send(get(url(port, host)));
        ASSERT_FALSE(response);
        EXPECT_NE(response.error().message.find("verify"), std::string::npos)
            << response.error().message;
    }
    EXPECT_EQ(seen_->requests.load(), 0);
}

TEST_F(HttpsClientTest, IpSanIsNotAcceptedForADifferentIp) {
    auto [cert, key] = issueServerCertificate({}, {"127.0.0.2"});
    const auto port = start(serverTls(cert, key));
    HttpsClient client(options());
    auto response = client.send(get(url(port)));
    ASSERT_FALSE(response);
    EXPECT_NE(response.error().message.find("verify"), std::string::npos);
}

TEST_F(HttpsClientTest, MutualTlsPassesTheClientCertificateToTheHandler) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem, true));
    auto opts = options();
    opts.client_certificate_pem = pki.client_cert_pem;
    opts.client_private_key_pem = pki.client_key_pem;
    auto response = HttpsClient(opts).send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    const auto expected = need(crypto::parseCertificatePem(pki.client_cert_pem)).der;
    const std::lock_guard lock(seen_->mutex);
    ASSERT_TRUE(seen_->client_certificate_der.has_value());
    EXPECT_EQ(*seen_->client_certificate_der, expected);
}

TEST_F(HttpsClientTest, WithoutClientCertificateTheHandlerSeesNone) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem, true));
    auto response = HttpsClient(options()).send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    const std::lock_guard lock(seen_->mutex);
    EXPECT_FALSE(seen_->client_certificate_der.has_value());
}

TEST_F(HttpsClientTest, ClientKeyWithoutCertificateIsAnError) {
    auto opts = options();
    opts.client_private_key_pem = testPki().client_key_pem;
    EXPECT_FALSE(HttpsClient(opts).send(get("https://127.0.0.1:1/")));
}

TEST_F(HttpsClientTest, RetriesServiceUnavailableUntilSuccess) {
    const auto& pki = testPki();
    const auto port = start(
        serverTls(pki.server_cert_pem, pki.server_key_pem),
        {{Status::service_unavailable, ""}, {Status::service_unavailable, ""}, {Status::ok, ""}});
    auto opts = options();
    opts.retry.max_attempts = 4;
    auto response = HttpsClient(opts).send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result(), Status::ok);
    EXPECT_EQ(seen_->requests.load(), 3);
}

TEST_F(HttpsClientTest, ReturnsTheLastRetryableAnswerAsAValue) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem),
                            {{Status::too_many_requests, ""}});
    auto opts = options();
    opts.retry.max_attempts = 2;
    auto response = HttpsClient(opts).send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result(), Status::too_many_requests);
    EXPECT_EQ(seen_->requests.load(), 2);
}

TEST_F(HttpsClientTest, DoesNotRetryClientErrors) {
    const auto& pki = testPki();
    const auto port =
        start(serverTls(pki.server_cert_pem, pki.server_key_pem), {{Status::not_found, ""}});
    auto response = HttpsClient(options()).send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result(), Status::not_found);
    EXPECT_EQ(seen_->requests.load(), 1);
}

TEST_F(HttpsClientTest, RetryAfterIsCappedAtMaxBackoff) {
    const auto& pki = testPki();
    // Without the cap this test would wait an hour.
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem),
                            {{Status::too_many_requests, "3600"}, {Status::ok, ""}});
    auto response = HttpsClient(options()).send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result(), Status::ok);
    EXPECT_EQ(seen_->requests.load(), 2);
}

TEST_F(HttpsClientTest, RetriesTransportFailures) {
    // A listener that accepts and hangs up at once: every attempt fails in the TLS handshake.
    boost::asio::ip::tcp::acceptor acceptor(io_.io(),
                                            {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto accepted = std::make_shared<std::atomic<int>>(0);
    std::function<void()> accept_one = [&acceptor, accepted, &accept_one] {
        acceptor.async_accept([accepted, &accept_one](const boost::system::error_code& ec,
                                                      boost::asio::ip::tcp::socket socket) {
            if (ec) {
                return;
            }
            ++*accepted;
            socket.close();
            accept_one();
        });
    };
    io_.run([&] { accept_one(); });
    const auto port = acceptor.local_endpoint().port();
    auto response = HttpsClient(options()).send(get(url(port)));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kNetwork);
    EXPECT_EQ(accepted->load(), 3);
    io_.run([&] { acceptor.close(); });
}

TEST_F(HttpsClientTest, RequestTimeoutEndsASilentExchange) {
    const auto& pki = testPki();
    auto pending = std::make_shared<std::vector<Respond>>();
    server_ = std::make_unique<HttpServer>(io_.executor(),
                                           [pending](Request&&, const PeerInfo&, Respond respond) {
                                               pending->push_back(std::move(respond));
                                           });
    auto tls = serverTls(pki.server_cert_pem, pki.server_key_pem);
    auto port = io_.run([&] { return server_->listenTls("127.0.0.1", 0, tls); });
    ASSERT_TRUE(port);
    auto opts = options();
    opts.retry.max_attempts = 1;
    opts.request_timeout = std::chrono::milliseconds(300);
    auto response = HttpsClient(opts).send(get(url(port.value())));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kNetwork);
    io_.run([&] { pending->clear(); });
}

// A long-poll held by the server is abandoned from another thread (gcservice at shutdown): the
// call ends as cancelled, not at its 60 s timeout, and a cancelled signal refuses later calls.
TEST_F(HttpsClientTest, CancelSignalAbandonsARequestInFlight) {
    const auto& pki = testPki();
    auto pending = std::make_shared<std::vector<Respond>>();
    auto held = std::make_shared<std::promise<void>>();
    server_ = std::make_unique<HttpServer>(
        io_.executor(), [pending, held](Request&&, const PeerInfo&, Respond respond) {
            pending->push_back(std::move(respond));
            if (pending->size() == 1) {
                held->set_value();
            }
        });
    auto tls = serverTls(pki.server_cert_pem, pki.server_key_pem);
    auto port = io_.run([&] { return server_->listenTls("127.0.0.1", 0, tls); });
    ASSERT_TRUE(port);
    auto opts = options();
    opts.retry.max_attempts = 3;
    opts.request_timeout = std::chrono::seconds(60);
    opts.cancel = std::make_shared<CancelSignal>();
    std::thread canceller([signal = opts.cancel, held] {
        held->get_future().wait(); // the request is parked in the server
        signal->cancel();
    });
    auto response = HttpsClient(opts).send(get(url(port.value())));
    canceller.join();
    ASSERT_FALSE(response);
    EXPECT_NE(response.error().message.find("cancelled"), std::string::npos)
        << response.error().message;
    // Not retried: the parked request is the only one the server saw.
    io_.run([&] { EXPECT_EQ(pending->size(), 1U); });

    auto again = HttpsClient(opts).send(get(url(port.value())));
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("cancelled"), std::string::npos);
    io_.run([&] {
        EXPECT_EQ(pending->size(), 1U); // the second call never reached the server
        pending->clear();
    });
}

TEST_F(HttpsClientTest, RejectsResponsesAboveTheLimit) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem), {{Status::ok, ""}},
                            std::string(4096, 'x'));
    auto opts = options();
    opts.max_response_bytes = 1024;
    auto response = HttpsClient(opts).send(get(url(port)));
    ASSERT_FALSE(response);
    EXPECT_NE(response.error().message.find("exceeds"), std::string::npos);
    EXPECT_EQ(seen_->requests.load(), 1);
}

TEST_F(HttpsClientTest, ReachesTheServerThroughAConnectProxy) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem));
    ConnectProxy proxy;
    auto opts = options();
    opts.proxy_url = proxy.url();
    opts.retry.max_attempts = 1;
    auto response = HttpsClient(opts).send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().body(), "hello");
    const auto head = proxy.requestHead();
    const std::string authority = "127.0.0.1:" + std::to_string(port);
    EXPECT_EQ(head.rfind("CONNECT " + authority + " HTTP/1.1\r\n", 0), 0U) << head;
    EXPECT_NE(head.find("Host: " + authority + "\r\n"), std::string::npos) << head;
}

TEST_F(HttpsClientTest, ProxyRefusalIsAnError) {
    ConnectProxy proxy(403);
    auto opts = options();
    opts.proxy_url = proxy.url();
    auto response = HttpsClient(opts).send(get("https://127.0.0.1:1/"));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kNetwork);
    EXPECT_NE(response.error().message.find("403"), std::string::npos) << response.error().message;
}

TEST_F(HttpsClientTest, ProxyUrlMustBePlainHttp) {
    auto opts = options();
    opts.proxy_url = "https://user:secret@127.0.0.1:3128";
    const auto refused = HttpsClient(opts).send(get("https://127.0.0.1:1/"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message.find("secret"), std::string::npos);
}

TEST_F(HttpsClientTest, ProxyCredentialsGoInProxyAuthorization) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem));
    ConnectProxy proxy;
    auto opts = options();
    opts.proxy_url = "http://user:secret@" + proxy.url().substr(std::string("http://").size());
    opts.retry.max_attempts = 1;
    auto response = HttpsClient(opts).send(get(url(port)));
    ASSERT_TRUE(response) << response.error().message;
    const auto head = proxy.requestHead();
    EXPECT_NE(head.find("Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\n"), std::string::npos)
        << head;
}

// What the client TLS cache did during `calls`.
template <class Calls> ClientTlsCounters countersDuring(Calls&& calls) {
    const auto before = clientTlsCounters();
    calls();
    const auto after = clientTlsCounters();
    return {after.contexts_made - before.contexts_made, after.handshakes - before.handshakes,
            after.resumed - before.resumed};
}

TEST_F(HttpsClientTest, RepeatedCallsReadTheTrustStoreOnceAndResumeTheSession) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem));
    const auto counted = countersDuring([&] {
        for (int call = 0; call < 3; ++call) {
            // A new client per call, as the daemons make them.
            auto response = HttpsClient(options()).send(get(url(port)));
            ASSERT_TRUE(response) << response.error().message;
            EXPECT_EQ(response.value().body(), "hello");
        }
    });
    EXPECT_EQ(counted.contexts_made, 1U);
    EXPECT_EQ(counted.handshakes, 3U);
    EXPECT_EQ(counted.resumed, 2U) << "the second and third handshakes resume the first's session";
}

TEST_F(HttpsClientTest, AChangedTrustStoreIsReadAgainAndStartsWithAFullHandshake) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem));
    ASSERT_TRUE(HttpsClient(options()).send(get(url(port))));
    const auto counted = countersDuring([&] {
        std::ofstream(ca_file_, std::ios::app) << "\n"; // same anchors, another file
        auto response = HttpsClient(options()).send(get(url(port)));
        ASSERT_TRUE(response) << response.error().message;
    });
    EXPECT_EQ(counted.contexts_made, 1U);
    EXPECT_EQ(counted.resumed, 0U) << "sessions belong to the context that verified them";
}

TEST_F(HttpsClientTest, ASessionIsOfferedOnlyToTheServerThatMadeIt) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem));
    ASSERT_TRUE(HttpsClient(options()).send(get(url(port, "127.0.0.1"))));
    const auto counted = countersDuring([&] {
        // The same server under another name: its session was verified for 127.0.0.1 only.
        auto response = HttpsClient(options()).send(get(url(port, "localhost")));
        ASSERT_TRUE(response) << response.error().message;
    });
    EXPECT_EQ(counted.handshakes, 1U);
    EXPECT_EQ(counted.resumed, 0U);
}

TEST_F(HttpsClientTest, AServerThatNoLongerResumesGetsAFullHandshake) {
    const auto& pki = testPki();
    auto tls = serverTls(pki.server_cert_pem, pki.server_key_pem);
    const auto port = start(tls);
    ASSERT_TRUE(HttpsClient(options()).send(get(url(port))));
    // As after a server restart: the session the client kept is unknown to the server.
    SSL_CTX_set_options(tls->native_handle(), SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(tls->native_handle(), SSL_SESS_CACHE_OFF);
    const auto counted = countersDuring([&] {
        auto response = HttpsClient(options()).send(get(url(port)));
        ASSERT_TRUE(response) << response.error().message;
        EXPECT_EQ(response.value().body(), "hello");
    });
    EXPECT_EQ(counted.handshakes, 1U);
    EXPECT_EQ(counted.resumed, 0U);
}

TEST_F(HttpsClientTest, MutualTlsResumesWithTheSameClientCertificate) {
    const auto& pki = testPki();
    const auto port = start(serverTls(pki.server_cert_pem, pki.server_key_pem, true));
    auto opts = options();
    opts.client_certificate_pem = pki.client_cert_pem;
    opts.client_private_key_pem = pki.client_key_pem;
    const auto expected = need(crypto::parseCertificatePem(pki.client_cert_pem)).der;
    const auto counted = countersDuring([&] {
        for (int call = 0; call < 2; ++call) {
            auto response = HttpsClient(opts).send(get(url(port)));
            ASSERT_TRUE(response) << response.error().message;
            const std::lock_guard lock(seen_->mutex);
            ASSERT_TRUE(seen_->client_certificate_der.has_value());
            EXPECT_EQ(*seen_->client_certificate_der, expected) << "call " << call;
        }
    });
    EXPECT_EQ(counted.handshakes, 2U);
    EXPECT_EQ(counted.resumed, 1U);
    // Without the certificate it is another context: no session of the certified one.
    const auto plain = countersDuring([&] {
        ASSERT_TRUE(HttpsClient(options()).send(get(url(port))));
        const std::lock_guard lock(seen_->mutex);
        EXPECT_FALSE(seen_->client_certificate_der.has_value());
    });
    EXPECT_EQ(plain.resumed, 0U);
}

} // namespace
} // namespace azcm::http
