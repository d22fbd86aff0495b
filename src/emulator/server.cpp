#include "emulator/server.hpp"

#include "common/daemon/daemon_runner.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/http/http_server.hpp"
#include "emulator/data_dir.hpp"
#include "emulator/emulator.hpp"
#include "emulator/emulator_clock.hpp"
#include "emulator/guest_configuration_baseline.hpp"

#include <charconv>
#include <exception>

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

namespace azcm::emulator {

namespace ssl = boost::asio::ssl;
using nlohmann::json;

Result<ListenAddress> parseListenAddress(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        return makeError(exitcode::kInvalidArgument,
                         "--listen must be HOST:PORT, got '" + text + "'");
    }
    ListenAddress address;
    address.host = text.substr(0, colon);
    if (address.host.front() == '[') {
        if (address.host.back() != ']' || address.host.size() < 3) {
            return makeError(exitcode::kInvalidArgument, "--listen: unbalanced brackets");
        }
        address.host = address.host.substr(1, address.host.size() - 2);
    }
    const std::string port = text.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value > 65535) {
        return makeError(exitcode::kInvalidArgument, "--listen: invalid port '" + port + "'");
    }
    address.port = static_cast<std::uint16_t>(value);
    return address;
}

std::string baseUrlFor(const std::string& listen_host, std::uint16_t port) {
    // A wildcard listener is reached through loopback, the name the TLS certificate covers.
    const std::string host = listen_host == "0.0.0.0" ? "127.0.0.1"
                             : listen_host == "::"    ? "::1"
                                                      : listen_host;
    const bool ipv6 = host.find(':') != std::string::npos;
    return "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<std::shared_ptr<ssl::context>> makeTlsContext(const EmulatorPki& pki) {
    try {
        auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
        context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
        SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
        std::string chain = pki.tls_cert_pem;
        if (!chain.empty() && chain.back() != '\n') {
            chain.push_back('\n');
        }
        chain += pki.ca_cert_pem;
        context->use_certificate_chain(boost::asio::buffer(chain));
        context->use_private_key(boost::asio::buffer(pki.tls_key_pem), ssl::context::pem);
        context->add_certificate_authority(boost::asio::buffer(pki.ca_cert_pem));
        // Machines present their certificate; SDK clients present none and must still connect.
        context->set_verify_mode(ssl::verify_peer);
        static const unsigned char kSessionContext[] = "arc-emulator";
        SSL_CTX_set_session_id_context(context->native_handle(), kSessionContext,
                                       sizeof(kSessionContext) - 1);
        return context;
    } catch (const std::exception& error) {
        return makeError(exitcode::kInitFailed,
                         std::string("cannot set up the TLS context: ") + error.what());
    }
}

json cloudJson(const Settings& settings, const EmulatorPki& pki, const std::string& base_url) {
    return json{
        {"name", "ArcEmulator"},
        {"tenantId", settings.tenant_id},
        {"subscriptionId", settings.subscription_id},
        {"caCertPath", pki.ca_cert_path.string()},
        {"packageSigningRootPath", pki.package_signer.root_cert_path.string()},
        {"endpoints",
         {{"entra", base_url},
          {"arm", base_url},
          {"identity", base_url + "/his"},
          {"guestConfiguration", base_url + "/gc"}}},
        {"bootstrapOwner",
         {{"appId", settings.bootstrap_app_id}, {"password", settings.bootstrap_password}}}};
}

namespace {

int fail(const Error& error) {
    spdlog::error("EMULATOR_START_FAILED {}", error.message);
    return error.code != 0 ? error.code : exitcode::kGeneric;
}

} // namespace

int serve(const ServeOptions& options) {
    daemon::applyDaemonUmask();
    const DataDir dir(options.data_dir);
    if (auto made = fs::ensureDirectory(dir.root(), kDataDirMode); !made) {
        return fail(made.error());
    }
    auto store = Store::open(dir.database());
    if (!store) {
        return fail(store.error());
    }
    auto settings = store.value()->initialize();
    if (!settings) {
        return fail(settings.error());
    }
    const WallClock clock = wallClock();
    auto pki = loadOrCreatePki(dir, clock());
    if (!pki) {
        return fail(pki.error());
    }
    auto tls = makeTlsContext(pki.value());
    if (!tls) {
        return fail(tls.error());
    }

    daemon::DaemonRunner runner("arc-emulator");
    auto emulator_options = options.emulator;
    emulator_options.data_dir = dir.root();
    Emulator emulator(*store.value(), pki.value(), clock, emulator_options, std::string());
    // The built-in security baseline, offered out of the box (guest_configuration_baseline.hpp).
    if (auto baseline =
            publishBuiltInBaseline(*store.value(), dir, pki.value().package_signer, clock());
        !baseline) {
        spdlog::error("EMULATOR_GC_BASELINE_FAILED {}", baseline.error().message);
    }
    http::ServerLimits limits;
    http::HttpServer server(
        runner.context().get_executor(),
        [&emulator, &clock](http::Request&& request, const http::PeerInfo& peer,
                            http::Respond respond) {
            // Asynchronous: a goal state long-poll answers later (goal_state_waiters.hpp).
            emulator.handleAsync(std::move(request), peer,
                                 [&clock, respond = std::move(respond)](http::Response&& response) {
                                     // As Azure's front doors do: clients measure their clock
                                     // skew against it.
                                     response.set(http::Field::date, http::httpDate(clock()));
                                     respond(std::move(response));
                                 });
        },
        limits);
    auto port = server.listenTls(options.listen.host, options.listen.port, tls.value());
    if (!port) {
        return fail(port.error());
    }
    const std::string base_url = baseUrlFor(options.listen.host, port.value());
    emulator.setBaseUrl(base_url);
    auto written = fs::writeFileAtomic(
        dir.cloudJson(), cloudJson(settings.value(), pki.value(), base_url).dump(2) + "\n",
        fs::FileMode{0600, {}});
    if (!written) {
        server.stop();
        return fail(written.error());
    }
    emulator.enableLongPoll(runner.context().get_executor());
    runner.onShutdown([&server, &emulator] {
        server.stop();
        emulator.waiters().cancelAll(); // parked long-polls must not hold the loop open
    });
    spdlog::info("EMULATOR_READY port={} url={} cloud={}", port.value(), base_url,
                 dir.cloudJson().string());
    runner.notifyReady("port=" + std::to_string(port.value()));
    return runner.run();
}

} // namespace azcm::emulator
