#include "emulator_fixture.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "emulator/data_dir.hpp"

namespace azcm::emulator::test {

using nlohmann::json;

const EmulatorPki& sharedPki() {
    static azcm::test::TempDir dir;
    static const EmulatorPki pki = [] {
        auto created = loadOrCreatePki(DataDir(dir.path()), std::chrono::system_clock::now());
        if (!created) {
            throw std::runtime_error(created.error().message);
        }
        return created.value();
    }();
    return pki;
}

const std::string& machineKeyPem() {
    static const std::string key = crypto::generateRsaPrivateKeyPem(2048).value();
    return key;
}

const std::string& otherKeyPem() {
    static const std::string key = crypto::generateRsaPrivateKeyPem(2048).value();
    return key;
}

void EmulatorFixture::startLongPollLoop(std::chrono::milliseconds probe_interval) {
    emulator_->enableLongPoll(io_.get_executor(), probe_interval);
    loop_ = std::thread([this] { io_.run(); });
}

void EmulatorFixture::stopLongPollLoop() {
    if (loop_.joinable()) {
        emulator_->waiters().cancelAll();
        work_.reset();
        io_.stop();
        loop_.join();
    }
}

std::future<http::Response> EmulatorFixture::longPoll(const std::string& path_and_query,
                                                      const std::string& etag,
                                                      const http::PeerInfo& peer) {
    auto promise = std::make_shared<std::promise<http::Response>>();
    auto future = promise->get_future();
    http::Request request{http::Verb::get, path_and_query, 11};
    request.set(http::Field::host, "127.0.0.1:8443");
    request.set(http::Field::if_none_match, etag);
    emulator_->handleAsync(std::move(request), peer, [promise](http::Response&& response) {
        promise->set_value(std::move(response));
    });
    return future;
}

EmulatorFixture::EmulatorFixture() {
    auto store = Store::open(dir_.path() / "emulator.db");
    if (!store) {
        throw std::runtime_error(store.error().message);
    }
    store_ = std::move(store.value());
    settings_ = store_->initialize().value();
    options_.data_dir = dir_.path(); // signed packages (DIR/packages)
    emulator_ = std::make_unique<Emulator>(*store_, sharedPki(), clock_.wall(), options_, kBaseUrl);
}

http::Response EmulatorFixture::call(http::Verb method,
                                     const std::string& target,
                                     const std::string& body,
                                     const std::string& token,
                                     const http::PeerInfo& peer) {
    http::Request request{method, target, 11};
    request.set(http::Field::host, "127.0.0.1:8443");
    if (!token.empty()) {
        request.set(http::Field::authorization, "Bearer " + token);
    }
    request.body() = body;
    request.prepare_payload();
    return emulator_->handle(request, peer);
}

json EmulatorFixture::parse(const http::Response& response) {
    if (response.body().empty()) {
        return nlohmann::json();
    }
    return nlohmann::json::parse(response.body());
}

Credential EmulatorFixture::addPrincipal(const std::string& role, const std::string& scope) {
    Credential credential{crypto::randomGuid(), crypto::randomGuid(),
                          crypto::randomUrlSafeSecret()};
    ServicePrincipal principal;
    principal.app_id = credential.app_id;
    principal.object_id = credential.object_id;
    principal.display_name = "test-" + role;
    principal.secret_hash = hashSecret(credential.secret);
    RoleAssignment assignment{crypto::randomGuid(), credential.object_id, role, scope};
    EXPECT_TRUE(store_->createServicePrincipal(principal, assignment));
    return credential;
}

std::string EmulatorFixture::tokenFor(const Credential& credential) {
    const std::string form = "grant_type=client_credentials&client_id=" + credential.app_id +
                             "&client_secret=" + credential.secret +
                             "&scope=" + "https%3A%2F%2F127.0.0.1%3A8443%2F.default";
    auto response = call(http::Verb::post, "/" + settings_.tenant_id + "/oauth2/v2.0/token", form);
    EXPECT_EQ(response.result_int(), 200) << response.body();
    return parse(response).value("access_token", "");
}

std::string EmulatorFixture::ownerToken() {
    Credential owner{settings_.bootstrap_app_id, "", settings_.bootstrap_password};
    return tokenFor(owner);
}

std::string EmulatorFixture::subscriptionPath() const {
    return "/subscriptions/" + settings_.subscription_id;
}

std::string EmulatorFixture::groupPath(const std::string& group) const {
    return subscriptionPath() + "/resourceGroups/" + group;
}

std::string EmulatorFixture::machinePath(const std::string& group, const std::string& name) const {
    return groupPath(group) + "/providers/Microsoft.HybridCompute/machines/" + name;
}

void EmulatorFixture::createGroup(const std::string& group) {
    auto response = call(http::Verb::put, groupPath(group) + "?api-version=" + kGroupVersion,
                         R"({"location":"westeurope"})", ownerToken());
    ASSERT_TRUE(response.result_int() == 201 || response.result_int() == 200) << response.body();
}

http::Response EmulatorFixture::putMachine(const std::string& group,
                                           const std::string& name,
                                           const std::string& key_pem,
                                           const std::string& token) {
    const auto der = crypto::publicKeyDer(key_pem).value();
    const nlohmann::json body{{"location", "westeurope"},
                              {"identity", {{"type", "SystemAssigned"}}},
                              {"tags", {{"env", "test"}}},
                              {"properties",
                               {{"clientPublicKey", crypto::base64Encode(der)},
                                {"osName", "linux"},
                                {"vmUuid", "4c4c4544-0000-1000-8000-000000000000"}}}};
    return call(http::Verb::put, machinePath(group, name) + "?api-version=" + kMachineVersion,
                body.dump(), token.empty() ? ownerToken() : token);
}

} // namespace azcm::emulator::test
