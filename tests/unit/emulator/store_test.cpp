#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"
#include "emulator/rbac.hpp"
#include "emulator/sp_command.hpp"
#include "emulator_fixture.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;

TEST(StoreTest, StatePersistsAcrossReopening) {
    azcm::test::TempDir dir;
    Settings first;
    {
        auto store = Store::open(dir.path() / "emulator.db").value();
        first = store->initialize().value();
        ASSERT_TRUE(store->putResourceGroup(
            {first.subscription_id, "Group1", "westeurope", json{{"a", "b"}}}));
        MachineRecord machine;
        machine.subscription_id = first.subscription_id;
        machine.resource_group = "Group1";
        machine.name = "Web01";
        machine.location = "westeurope";
        machine.vm_id = "vm-1";
        machine.properties = json{{"osName", "linux"}};
        machine.last_heartbeat = 1234;
        machine.status = "Connected";
        machine.last_status_change = 1000;
        ASSERT_TRUE(store->putMachine(machine));
    }
    auto store = Store::open(dir.path() / "emulator.db").value();
    const auto second = store->initialize().value();
    EXPECT_EQ(second.tenant_id, first.tenant_id);
    EXPECT_EQ(second.subscription_id, first.subscription_id);
    EXPECT_EQ(second.bootstrap_app_id, first.bootstrap_app_id);
    EXPECT_EQ(second.bootstrap_password, first.bootstrap_password);
    auto group = store->findResourceGroup(first.subscription_id, "GROUP1").value();
    ASSERT_TRUE(group);
    EXPECT_EQ(group->name, "Group1");
    EXPECT_EQ(group->tags, json({{"a", "b"}}));
    auto machine = store->findMachine(first.subscription_id, "group1", "web01").value();
    ASSERT_TRUE(machine);
    EXPECT_EQ(machine->name, "Web01");
    EXPECT_EQ(machine->vm_id, "vm-1");
    EXPECT_EQ(machine->last_heartbeat, 1234);
    EXPECT_EQ(machine->properties["osName"], "linux");
    // The bootstrap owner is an Owner of the subscription, stored with a hashed secret only.
    auto owner = store->findServicePrincipal(first.bootstrap_app_id).value();
    ASSERT_TRUE(owner);
    EXPECT_EQ(owner->secret_hash, hashSecret(first.bootstrap_password));
    auto assignments = store->roleAssignmentsFor(owner->object_id).value();
    ASSERT_EQ(assignments.size(), 1u);
    EXPECT_EQ(assignments[0].role_definition_id, kOwnerRoleId);
    EXPECT_EQ(assignments[0].scope, "/subscriptions/" + first.subscription_id);
}

TEST(StoreTest, PkiIsCreatedOnceAndReused) {
    azcm::test::TempDir dir;
    const auto now = std::chrono::system_clock::now();
    auto first = loadOrCreatePki(DataDir(dir.path()), now);
    ASSERT_TRUE(first) << first.error().message;
    auto second = loadOrCreatePki(DataDir(dir.path()), now);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(first.value().ca_cert_pem, second.value().ca_cert_pem);
    EXPECT_EQ(first.value().tls_cert_pem, second.value().tls_cert_pem);
    EXPECT_EQ(first.value().signing_kid, second.value().signing_kid);
    EXPECT_TRUE(first.value().ca_cert_path.is_absolute());
    struct stat info {};
    ASSERT_EQ(::stat((dir.path() / "ca.key").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((dir.path() / "signing.key").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    for (const char* host : {"127.0.0.1", "::1", "localhost"}) {
        EXPECT_TRUE(crypto::verifyCertificateChain(first.value().tls_cert_pem,
                                                   first.value().ca_cert_pem, now, host))
            << host;
    }
}

class SpCreateTest : public EmulatorFixture {};

TEST_F(SpCreateTest, WritesAWorkingCredential) {
    createGroup("rg1");
    SpCreateOptions options;
    options.data_dir = dir_.path();
    options.name = "onboarder";
    options.role = "azure connected machine onboarding";
    options.scope = groupPath("rg1");
    auto created = createServicePrincipal(options);
    ASSERT_TRUE(created) << created.error().message;
    const auto answer = created.value();
    EXPECT_EQ(answer["tenant"], settings_.tenant_id);
    Credential credential{answer["appId"], "", answer["password"]};
    // The running emulator (another Store connection) sees it at once.
    const auto token = tokenFor(credential);
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(putMachine("rg1", "m1", machineKeyPem(), token).result_int(), 201);
    EXPECT_EQ(call(http::Verb::delete_,
                   machinePath("rg1", "m1") + "?api-version=" + kMachineVersion, {}, token)
                  .result_int(),
              403);
}

TEST_F(SpCreateTest, RefusesUnknownRolesAndBadScopes) {
    SpCreateOptions options;
    options.data_dir = dir_.path();
    options.name = "x";
    options.role = "Superuser";
    options.scope = subscriptionPath();
    auto unknown = createServicePrincipal(options);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("Azure Connected Machine Onboarding"),
              std::string::npos);
    EXPECT_NE(unknown.error().message.find("Reader"), std::string::npos);
    options.role = std::string(kReaderRoleId);
    options.scope = "subscriptions/x";
    EXPECT_FALSE(createServicePrincipal(options));
}

TEST_F(SpCreateTest, CertificateFileIsPrivateAndNeverOverwritten) {
    SpCreateOptions options;
    options.data_dir = dir_.path();
    options.name = "cert";
    options.role = "Reader";
    options.scope = subscriptionPath();
    options.cert_out = dir_.path() / "cert.pem";
    auto created = createServicePrincipal(options);
    ASSERT_TRUE(created) << created.error().message;
    struct stat info {};
    ASSERT_EQ(::stat(options.cert_out->c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    auto bundle = crypto::loadKeyAndCertificate(fs::readFile(*options.cert_out).value());
    ASSERT_TRUE(bundle);
    EXPECT_EQ(
        created.value()["certificateThumbprint"],
        crypto::parseCertificatePem(bundle.value().certificate_pem).value().thumbprint_sha1_hex);
    auto principal = store_->findServicePrincipal(created.value()["appId"]).value();
    ASSERT_TRUE(principal);
    EXPECT_FALSE(principal->cert_pem.empty());
    EXPECT_NE(principal->secret_hash, created.value()["password"].get<std::string>());
    EXPECT_FALSE(createServicePrincipal(options)) << "an existing --cert-out file is kept";
}

} // namespace
} // namespace azcm::emulator::test
