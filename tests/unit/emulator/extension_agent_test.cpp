// The agent's side of extensions beyond goal state and reports: signed packages and
// their download, managed identity tokens as agent credentials, goal state long-polling, and
// protected settings encrypted to the machine's settings certificate.
#include "common/crypto/cms.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/jwt.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/package_signature.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"
#include "emulator/machine_auth.hpp"
#include "emulator/package_publish_command.hpp"
#include "emulator/package_store.hpp"
#include "emulator/server.hpp"
#include "emulator_fixture.hpp"

#include <chrono>
#include <future>
#include <iostream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kProtectedSecret = "protected-4711";
constexpr const char* kPublisher = "Microsoft.Azure.Extensions";
constexpr const char* kType = "CustomScript";

// crypto:: refuses to make keys under 2048 bits; a registration with one must be refused too.
std::string weakRsaKeyPem() {
    EVP_PKEY* key = EVP_RSA_gen(1024);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    EVP_PKEY_free(key);
    return pem;
}

std::string zipBytes(const std::string& tag) {
    std::string bytes("PK\x03\x04", 4);
    return bytes.append("handler package ").append(tag);
}

class ExtensionAgentTest : public EmulatorFixture {
protected:
    void SetUp() override {
        createGroup("rg1");
        der_ = connect("web01");
    }

    // Creates the machine and its certificate; returns the certificate's DER.
    std::string connect(const std::string& name) {
        if (name != "web01") {
            EXPECT_EQ(putMachine("rg1", name, otherKeyPem()).result_int(), 201);
        } else {
            EXPECT_EQ(putMachine("rg1", name, machineKeyPem()).result_int(), 201);
        }
        const auto& key = name == "web01" ? machineKeyPem() : otherKeyPem();
        const json body{{"resourceId", machinePath("rg1", name)},
                        {"csr", crypto::createCsrPem(key, name).value()}};
        auto issued =
            call(http::Verb::post, "/his/machines/certificate", body.dump(), ownerToken());
        EXPECT_EQ(issued.result_int(), 200) << issued.body();
        return crypto::parseCertificatePem(parse(issued)["certificate"].get<std::string>())
            .value()
            .der;
    }

    http::PeerInfo peer(const std::string& der) const {
        http::PeerInfo info;
        info.client_certificate_der = der;
        return info;
    }
    // An agent request with the machine certificate (mTLS) or, when `bearer` is set, a token only.
    http::Response agent(http::Verb method,
                         const std::string& target,
                         const std::string& body = {},
                         const std::string& bearer = {}) {
        return call(method, target, body, bearer, bearer.empty() ? peer(der_) : http::PeerInfo{});
    }
    json goalState(const std::string& bearer = {}) {
        auto response = agent(http::Verb::get, "/his/machines/extensions/goalstate", {}, bearer);
        EXPECT_EQ(response.result_int(), 200) << response.body();
        return parse(response);
    }
    static const json* entry(const json& state, const std::string& name) {
        for (const auto& item : state["extensions"]) {
            if (item["name"] == name) {
                return &item;
            }
        }
        return nullptr;
    }

    std::string extensionUrl(const std::string& name, const std::string& machine = "web01") const {
        return machinePath("rg1", machine) + "/extensions/" + name +
               "?api-version=" + kMachineVersion;
    }
    http::Response putExtension(const std::string& name,
                                const std::string& version,
                                bool with_secret = false,
                                const std::string& machine = "web01") {
        json properties{{"publisher", kPublisher},
                        {"type", kType},
                        {"typeHandlerVersion", version},
                        {"settings", {{"commandToExecute", "echo hi"}}}};
        if (with_secret) {
            properties["protectedSettings"] = {{"secret", kProtectedSecret}};
        }
        const json body{{"location", "westeurope"}, {"properties", properties}};
        return call(http::Verb::put, extensionUrl(name, machine), body.dump(), ownerToken());
    }

    PublishedPackage publish(const std::string& version, const std::string& tag = "a") {
        auto published = publishPackage(*store_, DataDir(dir_.path()), sharedPki().package_signer,
                                        kPackageKindExtension, kPublisher, kType, version,
                                        zipBytes(version + tag), clock_.wallNow());
        EXPECT_TRUE(published) << (published ? "" : published.error().message);
        return published.value();
    }

    // A managed identity token of a machine (mTLS to /his/machines/token).
    std::string miToken(const std::string& der, const std::string& resource) {
        auto response = call(http::Verb::post, "/his/machines/token",
                             json{{"resource", resource}}.dump(), {}, peer(der));
        EXPECT_EQ(response.result_int(), 200) << response.body();
        return parse(response)["access_token"];
    }

    std::future<http::Response> poll(const std::string& etag, int wait_seconds) {
        return longPoll("/his/machines/extensions/goalstate?waitSeconds=" +
                            std::to_string(wait_seconds),
                        etag, peer(der_));
    }
    std::string currentEtag() {
        auto response = agent(http::Verb::get, "/his/machines/extensions/goalstate");
        return std::string(response[http::Field::etag]);
    }

    std::string der_;
};

// --- packages --------------------------------------------------------------------------------

TEST_F(ExtensionAgentTest, PublishedPackageVerifiesAgainstTheRootNamedInCloudJson) {
    const auto package = publish("2.1.3");
    const auto cloud = cloudJson(settings_, sharedPki(), kBaseUrl);
    const std::string root_path = cloud["packageSigningRootPath"];
    ASSERT_TRUE(std::filesystem::path(root_path).is_absolute());
    const auto root = fs::readFile(root_path).value();
    const auto zip = zipBytes("2.1.3a");
    auto signer = crypto::verifyPackageSignature(zip, package.signature_der, root);
    ASSERT_TRUE(signer) << signer.error().message;
    EXPECT_EQ(signer.value().signer_common_name, "Arc Emulator Package Publisher");
    // The signature names what was published, so agents refuse it as anything else.
    EXPECT_EQ(signer.value().identity,
              (crypto::PackageIdentity{"extension", kPublisher, kType, "2.1.3"}));
    EXPECT_FALSE(crypto::verifyDetachedCms(zip + "x", package.signature_der, root))
        << "a changed package must not verify";
    EXPECT_FALSE(crypto::verifyDetachedCms(zip, package.signature_der, sharedPki().ca_cert_pem))
        << "only the package-signing root anchors package signatures";
    EXPECT_EQ(package.sha256, crypto::hexEncode(crypto::sha256(zip)));
    EXPECT_EQ(package.size, zip.size());
    // Private keys of the signing chain are 0600.
    const auto dir = std::filesystem::path(root_path).parent_path();
    for (const char* key : {"package-signing-root.key", "package-publisher.key"}) {
        struct stat info {};
        ASSERT_EQ(::stat((dir / key).c_str(), &info), 0) << key;
        EXPECT_EQ(info.st_mode & 0777, 0600u) << key;
    }
}

TEST_F(ExtensionAgentTest, GoalStateCarriesThePackageWhoseDownloadMatchesIt) {
    publish("2.1.3");
    const auto newest = publish("2.1.10");
    publish("2.2.0");
    ASSERT_EQ(putExtension("custom", "2.1").result_int(), 201);
    const auto state = goalState();
    const auto* item = entry(state, "custom");
    ASSERT_NE(item, nullptr);
    ASSERT_TRUE(item->contains("package")) << state.dump();
    const auto& package = (*item)["package"];
    EXPECT_EQ(package["sha256"], newest.sha256) << "2.1 picks the highest 2.1.x, numerically";
    EXPECT_EQ(package["size"], newest.size);
    EXPECT_EQ(crypto::base64Decode(package["signature"].get<std::string>()).value(),
              newest.signature_der);
    const std::string url = package["url"];
    ASSERT_EQ(url.rfind(kBaseUrl, 0), 0u) << url;
    auto download = agent(http::Verb::get, url.substr(std::string(kBaseUrl).size()));
    ASSERT_EQ(download.result_int(), 200) << download.body();
    EXPECT_EQ(download[http::Field::content_type], "application/zip");
    EXPECT_EQ(crypto::hexEncode(crypto::sha256(download.body())), package["sha256"]);
    EXPECT_EQ(download.body(), zipBytes("2.1.10a"));
    // Downloads need a machine credential too.
    EXPECT_EQ(call(http::Verb::get, url.substr(std::string(kBaseUrl).size())).result_int(), 401);
}

TEST_F(ExtensionAgentTest, VersionsMatchExactlyOrByMajorMinor) {
    publish("1.0");
    publish("1.0.9");
    publish("1.0.12");
    publish("1.1.0");
    const auto find = [&](const std::string& version) -> std::string {
        auto found = findPackage(*store_, kPackageKindExtension, "microsoft.azure.extensions",
                                 "customscript", version)
                         .value();
        return found ? found->version : "none";
    };
    EXPECT_EQ(find("1.0"), "1.0") << "an exact version wins";
    EXPECT_EQ(find("1.0.9"), "1.0.9");
    EXPECT_EQ(find("1.1"), "1.1.0");
    EXPECT_EQ(find("1.2"), "none");
    EXPECT_EQ(find("1"), "none") << "a major alone is not a wildcard";
    EXPECT_EQ(find("1.0.13"), "none");
    EXPECT_LT(compareVersions("1.9", "1.10"), 0);
    EXPECT_LT(compareVersions("1.2", "1.2.0"), 0);
    EXPECT_EQ(compareVersions("3.0.1", "3.0.1"), 0);
}

TEST_F(ExtensionAgentTest, ExtensionWithoutAPublishedPackageHasNoPackageEntry) {
    publish("9.0.0");
    ASSERT_EQ(putExtension("custom", "2.1").result_int(), 201);
    const auto state = goalState();
    ASSERT_NE(entry(state, "custom"), nullptr);
    EXPECT_FALSE(entry(state, "custom")->contains("package")) << state.dump();
    EXPECT_EQ(agent(http::Verb::get, "/his/machines/packages/extension/" + std::string(kPublisher) +
                                         "/" + kType + "/2.1.0")
                  .result_int(),
              404);
}

TEST_F(ExtensionAgentTest, PublishCommandTakesEffectAtOnceAndValidatesItsInput) {
    ASSERT_EQ(putExtension("custom", "3.0").result_int(), 201);
    EXPECT_FALSE(entry(goalState(), "custom")->contains("package"));
    const auto zip_path = dir_.path() / "handler.zip";
    ASSERT_TRUE(fs::writeFileAtomic(zip_path, zipBytes("cmd")));
    PublishOptions options;
    options.data_dir = dir_.path(); // the same database the running emulator reads
    options.zip = zip_path;
    options.publisher = kPublisher;
    options.type = kType;
    options.version = "3.0.1";
    auto printed = publishPackageCommand(options);
    ASSERT_TRUE(printed) << printed.error().message;
    EXPECT_EQ(printed.value()["sha256"], crypto::hexEncode(crypto::sha256(zipBytes("cmd"))));
    EXPECT_TRUE(std::filesystem::exists(printed.value()["file"].get<std::string>()));
    const auto state = goalState();
    ASSERT_TRUE(entry(state, "custom")->contains("package")) << state.dump();
    EXPECT_EQ((*entry(state, "custom"))["package"]["sha256"], printed.value()["sha256"]);

    const auto refused = [&](PublishOptions bad) {
        auto answer = publishPackageCommand(bad);
        return !answer && answer.error().code == exitcode::kInvalidArgument;
    };
    auto bad = options;
    bad.version = "3.x";
    EXPECT_TRUE(refused(bad));
    bad = options;
    bad.version = "3..1";
    EXPECT_TRUE(refused(bad));
    bad = options;
    bad.publisher = "../etc";
    EXPECT_TRUE(refused(bad));
    bad = options;
    bad.type = "a/b";
    EXPECT_TRUE(refused(bad));
    bad = options;
    bad.zip = dir_.path() / "missing.zip";
    EXPECT_TRUE(refused(bad));
    const auto empty = dir_.path() / "empty.zip";
    ASSERT_TRUE(fs::writeFileAtomic(empty, ""));
    bad = options;
    bad.zip = empty;
    EXPECT_TRUE(refused(bad));
}

// --- managed identity tokens as agent credentials ----------------------------------------------

TEST_F(ExtensionAgentTest, BearerTokenOfTheMachineIdentityAuthenticatesAgentRoutes) {
    publish("2.1.0");
    ASSERT_EQ(putExtension("custom", "2.1").result_int(), 201);
    const auto token = miToken(der_, std::string(kAgentServiceAudience));
    const auto state = goalState(token);
    ASSERT_NE(entry(state, "custom"), nullptr);
    const std::string url = (*entry(state, "custom"))["package"]["url"];
    EXPECT_EQ(
        agent(http::Verb::get, url.substr(std::string(kBaseUrl).size()), {}, token).result_int(),
        200);
    EXPECT_EQ(agent(http::Verb::post, "/his/machines/extensions/report",
                    json{{"name", "custom"}, {"status", "Succeeded"}}.dump(), token)
                  .result_int(),
              200);
}

TEST_F(ExtensionAgentTest, ExpiredForgedWrongAudienceAndUnknownMachineTokensAre401) {
    const auto token = miToken(der_, std::string(kAgentServiceAudience));
    const auto wrong_audience = miToken(der_, "https://management.azure.com/");
    auto refused = agent(http::Verb::get, "/his/machines/extensions/goalstate", {}, wrong_audience);
    EXPECT_EQ(refused.result_int(), 401);
    EXPECT_TRUE(parse(refused)["error"]["code"].is_string());
    EXPECT_TRUE(parse(refused)["error"]["message"].is_string());

    // Forged: the same claims signed by a key that is not the emulator's.
    auto claims = crypto::decodeJwt(token).value().claims;
    const auto forged =
        crypto::signJwt(claims, otherKeyPem(), json{{"kid", sharedPki().signing_kid}}).value();
    EXPECT_EQ(agent(http::Verb::get, "/his/machines/extensions/goalstate", {}, forged).result_int(),
              401);
    EXPECT_EQ(
        agent(http::Verb::get, "/his/machines/extensions/goalstate", {}, "not-a-jwt").result_int(),
        401);

    // Another machine's token reaches that machine's goal state, and dies with the machine.
    const auto other_der = connect("web02");
    ASSERT_EQ(putExtension("theirs", "1.0", false, "web02").result_int(), 201);
    const auto other = miToken(other_der, std::string(kAgentServiceAudience));
    const auto theirs = goalState(other);
    EXPECT_NE(entry(theirs, "theirs"), nullptr);
    EXPECT_EQ(entry(goalState(token), "theirs"), nullptr);
    ASSERT_EQ(call(http::Verb::delete_,
                   machinePath("rg1", "web02") + "?api-version=" + kMachineVersion, {},
                   ownerToken())
                  .result_int(),
              200);
    EXPECT_EQ(agent(http::Verb::get, "/his/machines/extensions/goalstate", {}, other).result_int(),
              401);

    // Expired: past the token lifetime (no leeway).
    EXPECT_EQ(goalState(token).is_object(), true);
    clock_.advance(options_.mi_token_lifetime + 1s);
    EXPECT_EQ(agent(http::Verb::get, "/his/machines/extensions/goalstate", {}, token).result_int(),
              401);
}

// --- long-poll ------------------------------------------------------------------------------

TEST_F(ExtensionAgentTest, GoalStateHasAnEtagAndAnswers304WhenUnchanged) {
    ASSERT_EQ(putExtension("custom", "2.1").result_int(), 201);
    const auto etag = currentEtag();
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(currentEtag(), etag) << "the ETag is stable while nothing changes";
    http::Request request{http::Verb::get, "/his/machines/extensions/goalstate", 11};
    request.set(http::Field::if_none_match, etag);
    auto unchanged = emulator_->handle(request, peer(der_));
    EXPECT_EQ(unchanged.result_int(), 304);
    EXPECT_EQ(unchanged[http::Field::etag], etag);
    ASSERT_EQ(putExtension("another", "2.2").result_int(), 201);
    EXPECT_NE(currentEtag(), etag);
}

TEST_F(ExtensionAgentTest, LongPollWakesPromptlyOnAnArmChange) {
    ASSERT_EQ(putExtension("custom", "2.1").result_int(), 201);
    startLongPollLoop();
    const auto etag = currentEtag();
    auto first = poll(etag, 30);
    auto second = poll(etag, 30); // many waiters per machine
    EXPECT_EQ(first.wait_for(150ms), std::future_status::timeout) << "it must wait";
    const auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(putExtension("other", "1.0").result_int(), 201);
    ASSERT_EQ(first.wait_for(2s), std::future_status::ready);
    const auto latency = std::chrono::steady_clock::now() - started;
    ASSERT_EQ(second.wait_for(2s), std::future_status::ready);
    // Woken by the change, not by the 30 s wait running out (2 s above); the figure is printed,
    // not asserted, so a loaded CI machine (or ASan) cannot make it flaky.
    std::cout << "long-poll woken "
              << std::chrono::duration_cast<std::chrono::milliseconds>(latency).count()
              << " ms after the PUT started\n";
    auto response = first.get();
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_NE(response[http::Field::etag], etag);
    EXPECT_NE(entry(parse(response), "other"), nullptr);
    EXPECT_EQ(second.get().result_int(), 200);
    EXPECT_EQ(emulator_->waiters().waiting(), 0u);
}

TEST_F(ExtensionAgentTest, LongPollTimesOutWith304AndTheSameEtag) {
    startLongPollLoop();
    const auto etag = currentEtag();
    const auto started = std::chrono::steady_clock::now();
    auto pending = poll(etag, 1);
    ASSERT_EQ(pending.wait_for(3s), std::future_status::ready);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
    auto response = pending.get();
    EXPECT_EQ(response.result_int(), 304);
    EXPECT_EQ(response[http::Field::etag], etag);
    // Another machine's change does not wake this one.
    connect("web02");
    auto mine = poll(etag, 1);
    ASSERT_EQ(putExtension("theirs", "1.0", false, "web02").result_int(), 201);
    EXPECT_EQ(mine.wait_for(300ms), std::future_status::timeout);
    ASSERT_EQ(mine.wait_for(3s), std::future_status::ready);
    EXPECT_EQ(mine.get().result_int(), 304);
    // Out of range waits are refused.
    auto bad = poll(etag, 301);
    ASSERT_EQ(bad.wait_for(1s), std::future_status::ready);
    EXPECT_EQ(bad.get().result_int(), 400);
}

TEST_F(ExtensionAgentTest, LongPollWakesWhenAnotherProcessPublishesTheMissingPackage) {
    ASSERT_EQ(putExtension("custom", "4.0").result_int(), 201);
    startLongPollLoop(20ms);
    const auto etag = currentEtag();
    auto pending = poll(etag, 30);
    EXPECT_EQ(pending.wait_for(100ms), std::future_status::timeout);
    const auto zip_path = dir_.path() / "handler.zip";
    ASSERT_TRUE(fs::writeFileAtomic(zip_path, zipBytes("late")));
    PublishOptions options{dir_.path(), zip_path, "extension", kPublisher, kType, "4.0.2"};
    ASSERT_TRUE(publishPackageCommand(options)); // its own database connection, as another process
    ASSERT_EQ(pending.wait_for(3s), std::future_status::ready);
    auto response = pending.get();
    ASSERT_EQ(response.result_int(), 200);
    EXPECT_TRUE(entry(parse(response), "custom")->contains("package"));
}

// --- protected settings -----------------------------------------------------------------------

TEST_F(ExtensionAgentTest, ProtectedSettingsReachOnlyTheRegisteredCertificate) {
    ASSERT_EQ(putExtension("custom", "2.1", true).result_int(), 201);
    auto state = goalState();
    EXPECT_EQ((*entry(state, "custom"))["protectedSettingsPending"], true);
    EXPECT_FALSE(entry(state, "custom")->contains("protectedSettings"));
    EXPECT_EQ(state.dump().find(kProtectedSecret), std::string::npos);

    const auto key = machineKeyPem();
    const auto cert = crypto::createSelfSignedCaPem(key, "extservice settings", 24h).value();
    auto registered = agent(http::Verb::put, "/his/machines/extensions/settingsCertificate",
                            json{{"certificate", cert}}.dump());
    ASSERT_EQ(registered.result_int(), 200) << registered.body();
    const auto thumbprint = crypto::certificateThumbprint(cert).value();
    EXPECT_EQ(parse(registered)["thumbprint"], thumbprint);

    state = goalState();
    const auto& item = *entry(state, "custom");
    EXPECT_FALSE(item.contains("protectedSettingsPending"));
    EXPECT_EQ(item["protectedSettingsCertThumbprint"], thumbprint);
    EXPECT_EQ(state.dump().find(kProtectedSecret), std::string::npos) << "never in clear";
    const auto enveloped = crypto::base64Decode(item["protectedSettings"].get<std::string>());
    ASSERT_TRUE(enveloped);
    auto clear = crypto::decryptCms(enveloped.value(), cert, key);
    ASSERT_TRUE(clear) << clear.error().message;
    EXPECT_EQ(json::parse(clear.value()), (json{{"secret", kProtectedSecret}}));

    auto arm = call(http::Verb::get, extensionUrl("custom"), {}, ownerToken());
    EXPECT_EQ(arm.body().find(kProtectedSecret), std::string::npos);
    EXPECT_EQ(arm.body().find("protectedSettings"), std::string::npos);
}

TEST_F(ExtensionAgentTest, SettingsCertificateRegistrationsAreValidated) {
    const auto put = [&](const std::string& pem) {
        return agent(http::Verb::put, "/his/machines/extensions/settingsCertificate",
                     json{{"certificate", pem}}.dump())
            .result_int();
    };
    auto weak = crypto::createSelfSignedCaPem(weakRsaKeyPem(), "weak", 24h);
    ASSERT_TRUE(weak) << weak.error().message;
    EXPECT_EQ(put(weak.value()), 400);
    const auto cert = crypto::createSelfSignedCaPem(machineKeyPem(), "ok", 24h).value();
    EXPECT_EQ(put(machineKeyPem() + cert), 400) << "a private key must never be sent";
    EXPECT_EQ(put("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 400);
    EXPECT_EQ(
        agent(http::Verb::put, "/his/machines/extensions/settingsCertificate", "{}").result_int(),
        400);
    EXPECT_EQ(call(http::Verb::put, "/his/machines/extensions/settingsCertificate",
                   json{{"certificate", cert}}.dump())
                  .result_int(),
              401)
        << "machine authentication is required";
    clock_.advance(48h);
    EXPECT_EQ(put(cert), 400) << "an expired certificate is refused";
}

} // namespace
} // namespace azcm::emulator::test
