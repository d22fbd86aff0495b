// The TLS probe of `azcmagent check` against real local TLS servers: full verification, with the
// certificate policy at every depth of the chain.
#include "common/http/http_server.hpp"
#include "common/http/tls_probe.hpp"
#include "io_thread.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

#include <fstream>

#include <boost/asio/ssl/context.hpp>

#include <gtest/gtest.h>

namespace azcm::http {
namespace {

namespace ssl = boost::asio::ssl;
using azcm::test::serialTestPki;
using azcm::test::testPki;

class TlsProbeTest : public ::testing::Test {
protected:
    void SetUp() override {
        ca_file_ = dir_.path() / "ca.pem";
        std::ofstream(ca_file_) << testPki().ca_cert_pem;
    }

    void TearDown() override {
        io_.run([this] {
            for (auto& server : servers_) {
                server->stop();
            }
        });
        io_.join();
    }

    // A TLS server presenting `chain_pem` (leaf first) that answers every request with 200.
    std::uint16_t serve(const std::string& chain_pem) {
        auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
        tls->use_certificate_chain(boost::asio::buffer(chain_pem));
        tls->use_private_key(boost::asio::buffer(testPki().server_key_pem), ssl::context::pem);
        servers_.push_back(std::make_unique<HttpServer>(
            io_.executor(), [](Request&& request, const PeerInfo&, Respond respond) {
                respond(makeTextResponse(request, Status::ok, ""));
            }));
        auto* server = servers_.back().get();
        auto port = io_.run([&] { return server->listenTls("127.0.0.1", 0, tls); });
        EXPECT_TRUE(port) << (port ? "" : port.error().message);
        return port ? port.value() : 0;
    }

    TlsProbeRequest request(std::uint16_t port) const {
        return {"https://127.0.0.1:" + std::to_string(port) + "/probe", ca_file_, std::nullopt};
    }

    std::vector<TlsProbeResult> probe(const std::vector<TlsProbeRequest>& requests) const {
        return probeEndpoints(requests, TlsProbeTimeouts{}, 4,
                              std::chrono::steady_clock::now() + std::chrono::seconds(30));
    }

    azcm::test::TempDir dir_;
    std::filesystem::path ca_file_;
    test::IoThread io_;
    std::vector<std::unique_ptr<HttpServer>> servers_;
};

void expectRefusedForItsSerial(const TlsProbeResult& result, const std::string& depth) {
    EXPECT_TRUE(result.connected);
    EXPECT_FALSE(result.tls_established);
    EXPECT_FALSE(result.reachable());
    EXPECT_NE(result.verify_error.find("serial number"), std::string::npos) << result.verify_error;
    EXPECT_NE(result.verify_error.find("at depth " + depth), std::string::npos)
        << result.verify_error;
    EXPECT_NE(result.error.find("certificate verify failed"), std::string::npos) << result.error;
}

TEST_F(TlsProbeTest, ChainsWithANegativeOrZeroSerialAreRefusedAtDepthZeroAndOne) {
    const auto& serials = serialTestPki();
    const auto results = probe({
        request(serve(serials.negative_leaf_pem)),
        request(serve(serials.zero_leaf_pem)),
        request(serve(serials.leaf_under_intermediate_pem + serials.negative_intermediate_pem)),
    });
    ASSERT_EQ(results.size(), 3U);
    expectRefusedForItsSerial(results[0], "0");
    expectRefusedForItsSerial(results[1], "0");
    expectRefusedForItsSerial(results[2], "1");
}

TEST_F(TlsProbeTest, PositiveSerialTwinsAreReachedAndVerified) {
    const auto& serials = serialTestPki();
    const auto results = probe({
        request(serve(serials.positive_leaf_pem)),
        request(serve(serials.leaf_under_intermediate_pem + serials.positive_intermediate_pem)),
    });
    ASSERT_EQ(results.size(), 2U);
    for (const auto& result : results) {
        EXPECT_TRUE(result.tls_established) << result.error;
        EXPECT_EQ(result.verify_error, "");
        ASSERT_TRUE(result.reachable()) << result.error;
        EXPECT_EQ(*result.http_status, 200U);
        EXPECT_TRUE(result.certificate_not_after.has_value());
    }
}

TEST_F(TlsProbeTest, AnUnknownCaIsStillRefusedWithOpenSslsReason) {
    const auto other = dir_.path() / "other.pem";
    std::ofstream(other) << serialTestPki().positive_intermediate_pem; // not an anchor for this
    auto asked = request(serve(testPki().server_cert_pem));
    asked.ca_file = other;
    const auto results = probe({asked});
    ASSERT_EQ(results.size(), 1U);
    EXPECT_FALSE(results[0].tls_established);
    EXPECT_NE(results[0].verify_error.find("unable to get local issuer certificate"),
              std::string::npos)
        << results[0].verify_error;
}

} // namespace
} // namespace azcm::http
