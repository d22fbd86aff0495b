#include "emulator/api_versions.hpp"
#include "emulator/rbac.hpp"
#include "emulator_fixture.hpp"

#include <gtest/gtest.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;

class ArmTest : public EmulatorFixture {
protected:
    std::string machineUrl(const std::string& group, const std::string& name) const {
        return machinePath(group, name) + "?api-version=" + kMachineVersion;
    }
};

TEST_F(ArmTest, MissingOrForgedTokenIs401WithChallenge) {
    auto missing =
        call(http::Verb::get, subscriptionPath() + "/resourcegroups?api-version=2021-04-01");
    EXPECT_EQ(missing.result_int(), 401);
    EXPECT_EQ(parse(missing)["error"]["code"], "AuthenticationFailed");
    EXPECT_NE(missing[http::Field::www_authenticate].find("Bearer"), std::string::npos);
    auto forged =
        call(http::Verb::get, subscriptionPath() + "/resourcegroups?api-version=2021-04-01", {},
             "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln");
    EXPECT_EQ(forged.result_int(), 401);
    EXPECT_EQ(parse(forged)["error"]["code"], "InvalidAuthenticationToken");
}

TEST_F(ArmTest, ExpiredTokenIsRejected) {
    const auto token = ownerToken();
    clock_.advance(std::chrono::seconds(3601));
    auto response = call(http::Verb::get,
                         subscriptionPath() + "/resourcegroups?api-version=2021-04-01", {}, token);
    EXPECT_EQ(response.result_int(), 401);
}

TEST_F(ArmTest, ResourceGroupLifecycle) {
    const auto token = ownerToken();
    const std::string url = groupPath("MyGroup") + "?api-version=2022-09-01";
    auto created =
        call(http::Verb::put, url, R"({"location":"West Europe","tags":{"a":"b"}})", token);
    ASSERT_EQ(created.result_int(), 201) << created.body();
    EXPECT_EQ(parse(created)["name"], "MyGroup");
    EXPECT_EQ(parse(created)["location"], "westeurope");
    EXPECT_EQ(parse(created)["type"], "Microsoft.Resources/resourceGroups");
    auto updated =
        call(http::Verb::put, subscriptionPath() + "/resourcegroups/mygroup?api-version=2022-09-01",
             R"({"location":"westeurope","tags":{"c":"d"}})", token);
    ASSERT_EQ(updated.result_int(), 200) << updated.body();
    EXPECT_EQ(parse(updated)["name"], "MyGroup");
    EXPECT_EQ(parse(updated)["tags"], json({{"c", "d"}}));
    auto moved = call(http::Verb::put, url, R"({"location":"eastus"})", token);
    EXPECT_EQ(moved.result_int(), 409);
    auto got =
        call(http::Verb::get, subscriptionPath() + "/RESOURCEGROUPS/MYGROUP?api-version=2021-04-01",
             {}, token);
    ASSERT_EQ(got.result_int(), 200);
    EXPECT_EQ(parse(got)["id"], groupPath("MyGroup"));
    auto list = call(http::Verb::get, subscriptionPath() + "/resourcegroups?api-version=2021-04-01",
                     {}, token);
    ASSERT_EQ(list.result_int(), 200);
    EXPECT_EQ(parse(list)["value"].size(), 1u);
    auto no_location =
        call(http::Verb::put, groupPath("other") + "?api-version=2021-04-01", "{}", token);
    EXPECT_EQ(no_location.result_int(), 400);

    ASSERT_EQ(putMachine("MyGroup", "m1", machineKeyPem()).result_int(), 201);
    auto deleted = call(http::Verb::delete_, url, {}, token);
    EXPECT_EQ(deleted.result_int(), 200);
    EXPECT_EQ(call(http::Verb::get, url, {}, token).result_int(), 404);
    createGroup("MyGroup");
    auto machine = call(http::Verb::get, machineUrl("MyGroup", "m1"), {}, token);
    EXPECT_EQ(machine.result_int(), 404) << "deleting a group deletes its machines";
}

TEST_F(ArmTest, MachinePutGetListDelete) {
    createGroup("rg1");
    const auto token = ownerToken();
    auto created = putMachine("rg1", "Web01", machineKeyPem());
    ASSERT_EQ(created.result_int(), 201) << created.body();
    const auto machine = parse(created);
    EXPECT_EQ(machine["id"], machinePath("rg1", "Web01"));
    EXPECT_EQ(machine["name"], "Web01");
    EXPECT_EQ(machine["type"], "Microsoft.HybridCompute/machines");
    EXPECT_EQ(machine["location"], "westeurope");
    EXPECT_EQ(machine["tags"]["env"], "test");
    EXPECT_EQ(machine["identity"]["type"], "SystemAssigned");
    EXPECT_EQ(machine["identity"]["tenantId"], settings_.tenant_id);
    EXPECT_EQ(machine["identity"]["principalId"].get<std::string>().size(), 36u);
    EXPECT_EQ(machine["properties"]["provisioningState"], "Succeeded");
    EXPECT_EQ(machine["properties"]["status"], "Disconnected");
    EXPECT_EQ(machine["properties"]["osName"], "linux");
    EXPECT_EQ(machine["properties"]["cloudMetadata"]["provider"], "N/A");
    EXPECT_TRUE(machine["properties"]["errorDetails"].is_array());
    const std::string vm_id = machine["properties"]["vmId"];
    EXPECT_EQ(vm_id.size(), 36u);

    auto updated = putMachine("RG1", "web01", machineKeyPem());
    ASSERT_EQ(updated.result_int(), 200) << updated.body();
    EXPECT_EQ(parse(updated)["properties"]["vmId"], vm_id);
    EXPECT_EQ(parse(updated)["identity"]["principalId"], machine["identity"]["principalId"]);
    EXPECT_EQ(parse(updated)["name"], "Web01");

    auto got = call(http::Verb::get,
                    subscriptionPath() +
                        "/resourcegroups/rg1/providers/microsoft.hybridcompute/machines/WEB01"
                        "?api-version=2022-12-27",
                    {}, token);
    ASSERT_EQ(got.result_int(), 200) << got.body();
    EXPECT_EQ(parse(got)["properties"]["vmId"], vm_id);

    auto patched = call(http::Verb::patch, machineUrl("rg1", "Web01"),
                        R"({"tags":{"k":"v"},"properties":{"vmId":"forged","osSku":"x"}})", token);
    ASSERT_EQ(patched.result_int(), 200) << patched.body();
    EXPECT_EQ(parse(patched)["tags"], json({{"k", "v"}}));
    EXPECT_EQ(parse(patched)["properties"]["vmId"], vm_id);
    EXPECT_EQ(parse(patched)["properties"]["osSku"], "x");

    createGroup("rg2");
    ASSERT_EQ(putMachine("rg2", "db01", machineKeyPem()).result_int(), 201);
    auto by_group =
        call(http::Verb::get,
             groupPath("rg1") +
                 "/providers/Microsoft.HybridCompute/machines?api-version=" + kMachineVersion,
             {}, token);
    ASSERT_EQ(by_group.result_int(), 200);
    EXPECT_EQ(parse(by_group)["value"].size(), 1u);
    EXPECT_FALSE(parse(by_group).contains("nextLink"));
    auto by_subscription =
        call(http::Verb::get,
             subscriptionPath() +
                 "/providers/Microsoft.HybridCompute/machines?api-version=" + kMachineVersion,
             {}, token);
    ASSERT_EQ(by_subscription.result_int(), 200);
    EXPECT_EQ(parse(by_subscription)["value"].size(), 2u);

    EXPECT_EQ(call(http::Verb::delete_, machineUrl("rg1", "Web01"), {}, token).result_int(), 200);
    EXPECT_EQ(call(http::Verb::delete_, machineUrl("rg1", "Web01"), {}, token).result_int(), 204);
    auto gone = call(http::Verb::get, machineUrl("rg1", "Web01"), {}, token);
    EXPECT_EQ(gone.result_int(), 404);
    EXPECT_EQ(parse(gone)["error"]["code"], "ResourceNotFound");
}

TEST_F(ArmTest, ApiVersionRefusalListsSupportedVersions) {
    createGroup("rg1");
    const auto token = ownerToken();
    auto missing = call(http::Verb::get, machinePath("rg1", "m1"), {}, token);
    EXPECT_EQ(missing.result_int(), 400);
    auto wrong =
        call(http::Verb::get, machinePath("rg1", "m1") + "?api-version=2019-01-01", {}, token);
    EXPECT_EQ(wrong.result_int(), 400);
    const auto error = parse(wrong)["error"];
    EXPECT_EQ(error["code"], "NoRegisteredProviderFound");
    const std::string message = error["message"];
    for (const auto& version : hybridComputeApiVersions()) {
        EXPECT_NE(message.find(version), std::string::npos) << version;
    }
    auto group = call(http::Verb::get, groupPath("rg1") + "?api-version=2099-01-01", {}, token);
    EXPECT_EQ(group.result_int(), 400);
    EXPECT_EQ(parse(group)["error"]["code"], "InvalidApiVersionParameter");
    EXPECT_NE(parse(group)["error"]["message"].get<std::string>().find("2021-04-01"),
              std::string::npos);
    for (const auto& version : hybridComputeApiVersions()) {
        EXPECT_EQ(
            call(http::Verb::get, machinePath("rg1", "none") + "?api-version=" + version, {}, token)
                .result_int(),
            404)
            << version;
    }
}

TEST_F(ArmTest, InvalidMachineNameIs400) {
    createGroup("rg1");
    for (const std::string& name :
         std::vector<std::string>{"bad-", "bad_", "has space", std::string(55, 'a'), "a*b"}) {
        auto response =
            putMachine("rg1", name == "has space" ? "has%20space" : name, machineKeyPem());
        EXPECT_EQ(response.result_int(), 400) << name;
        EXPECT_EQ(parse(response)["error"]["code"], "InvalidResourceName") << name;
    }
    EXPECT_EQ(putMachine("rg1", std::string(54, 'a'), machineKeyPem()).result_int(), 201);
    EXPECT_EQ(putMachine("rg1", "a.b_c-d", machineKeyPem()).result_int(), 201);
}

TEST_F(ArmTest, MissingResourceGroupIs404ResourceGroupNotFound) {
    auto response = putMachine("nogroup", "m1", machineKeyPem());
    EXPECT_EQ(response.result_int(), 404);
    EXPECT_EQ(parse(response)["error"]["code"], "ResourceGroupNotFound");
    EXPECT_EQ(parse(response)["error"]["message"], "Resource group 'nogroup' could not be found.");
}

TEST_F(ArmTest, MachineBodyValidation) {
    createGroup("rg1");
    const auto token = ownerToken();
    EXPECT_EQ(
        call(http::Verb::put, machineUrl("rg1", "m1"), R"({"properties":{}})", token).result_int(),
        400);
    EXPECT_EQ(call(http::Verb::put, machineUrl("rg1", "m1"), "not json", token).result_int(), 400);
    EXPECT_EQ(call(http::Verb::put, machineUrl("rg1", "m1"),
                   R"({"location":"x","properties":{"clientPublicKey":"!!"}})", token)
                  .result_int(),
              400);
    EXPECT_EQ(
        call(http::Verb::put, machineUrl("rg1", "m1"), R"({"location":"x","tags":{"a":1}})", token)
            .result_int(),
        400);
}

TEST_F(ArmTest, AgentUpgradePutPatchGetRoundTrip) {
    createGroup("rg1");
    const auto token = ownerToken();
    const std::string correlation_id = "0f4c7a3e-2b1d-4c6e-9a8f-5d3b2e1c0a9b";
    const json put_body{{"location", "westeurope"},
                        {"properties",
                         {{"agentUpgrade",
                           {{"enableAutomaticUpgrade", true},
                            {"desiredVersion", "1.2"},
                            {"correlationId", correlation_id},
                            {"lastAttemptStatus", "Success"}}}}}};
    auto created = call(http::Verb::put, machineUrl("rg1", "m1"), put_body.dump(), token);
    ASSERT_EQ(created.result_int(), 201) << created.body();
    EXPECT_EQ(parse(created)["properties"]["agentUpgrade"],
              json({{"enableAutomaticUpgrade", true},
                    {"desiredVersion", "1.2"},
                    {"correlationId", correlation_id}}))
        << "read-only members of the body are ignored";

    auto patched =
        call(http::Verb::patch, machineUrl("rg1", "m1"),
             R"({"properties":{"agentUpgrade":{"desiredVersion":"1.0.1000.0"}}})", token);
    ASSERT_EQ(patched.result_int(), 200) << patched.body();
    const json merged{{"enableAutomaticUpgrade", true},
                      {"desiredVersion", "1.0.1000.0"},
                      {"correlationId", correlation_id}};
    EXPECT_EQ(parse(patched)["properties"]["agentUpgrade"], merged);
    auto got = call(http::Verb::get, machineUrl("rg1", "m1"), {}, token);
    ASSERT_EQ(got.result_int(), 200);
    EXPECT_EQ(parse(got)["properties"]["agentUpgrade"], merged);

    // A PUT naming agentUpgrade sets all of its writable members; one without it keeps them.
    const json replace_body{
        {"location", "westeurope"},
        {"properties", {{"agentUpgrade", {{"desiredVersion", "2.0"}}}, {"osSku", "x"}}}};
    auto replaced = call(http::Verb::put, machineUrl("rg1", "m1"), replace_body.dump(), token);
    ASSERT_EQ(replaced.result_int(), 200) << replaced.body();
    EXPECT_EQ(
        parse(replaced)["properties"]["agentUpgrade"],
        json(
            {{"enableAutomaticUpgrade", false}, {"desiredVersion", "2.0"}, {"correlationId", ""}}));
    auto kept =
        call(http::Verb::put, machineUrl("rg1", "m1"), R"({"location":"westeurope"})", token);
    ASSERT_EQ(kept.result_int(), 200) << kept.body();
    EXPECT_EQ(parse(kept)["properties"]["agentUpgrade"]["desiredVersion"], "2.0");
}

TEST_F(ArmTest, AgentUpgradeDefaultsAndOlderApiVersionsLeaveItOut) {
    createGroup("rg1");
    const auto token = ownerToken();
    auto created = putMachine("rg1", "m1", machineKeyPem());
    ASSERT_EQ(created.result_int(), 201) << created.body();
    EXPECT_EQ(
        parse(created)["properties"]["agentUpgrade"],
        json({{"enableAutomaticUpgrade", false}, {"desiredVersion", ""}, {"correlationId", ""}}));

    const std::string old_url = machinePath("rg1", "m1") + "?api-version=2022-11-10";
    auto ignored =
        call(http::Verb::patch, old_url,
             R"({"properties":{"agentUpgrade":{"enableAutomaticUpgrade":"not a bool"}}})", token);
    ASSERT_EQ(ignored.result_int(), 200) << "an api-version without agentUpgrade ignores it";
    EXPECT_FALSE(parse(ignored)["properties"].contains("agentUpgrade"));
    auto old_get = call(http::Verb::get, old_url, {}, token);
    ASSERT_EQ(old_get.result_int(), 200);
    EXPECT_FALSE(parse(old_get)["properties"].contains("agentUpgrade"));

    ASSERT_EQ(call(http::Verb::patch, machineUrl("rg1", "m1"),
                   R"({"properties":{"agentUpgrade":{"enableAutomaticUpgrade":true}}})", token)
                  .result_int(),
              200);
    EXPECT_FALSE(
        parse(call(http::Verb::get, old_url, {}, token))["properties"].contains("agentUpgrade"));
    for (const char* version : {"2022-12-27", "2022-12-27-preview", "2025-01-13"}) {
        auto newer =
            call(http::Verb::get, machinePath("rg1", "m1") + "?api-version=" + version, {}, token);
        ASSERT_EQ(newer.result_int(), 200) << version;
        EXPECT_EQ(parse(newer)["properties"]["agentUpgrade"]["enableAutomaticUpgrade"], true)
            << version;
    }
}

TEST_F(ArmTest, AgentUpgradeInvalidValuesAreRefused) {
    createGroup("rg1");
    const auto token = ownerToken();
    ASSERT_EQ(putMachine("rg1", "m1", machineKeyPem()).result_int(), 201);
    ASSERT_EQ(call(http::Verb::patch, machineUrl("rg1", "m1"),
                   R"({"properties":{"agentUpgrade":{"desiredVersion":"1.5"}}})", token)
                  .result_int(),
              200);
    const std::vector<json> invalid = {
        json("not an object"),
        json{{"enableAutomaticUpgrade", "true"}},
        json{{"desiredVersion", 1}},
        json{{"desiredVersion", "1"}},
        json{{"desiredVersion", "1.2.3"}},
        json{{"desiredVersion", "1.2.3.4.5"}},
        json{{"desiredVersion", "65536.0"}},
        json{{"desiredVersion", "1.02"}},
        json{{"desiredVersion", "latest"}},
        json{{"correlationId", std::string(65, 'a')}},
        json{{"correlationId", "line\nbreak"}},
        json{{"correlationId", 7}},
    };
    for (const auto& agent_upgrade : invalid) {
        const json body{{"properties", {{"agentUpgrade", agent_upgrade}}}};
        auto response = call(http::Verb::patch, machineUrl("rg1", "m1"), body.dump(), token);
        EXPECT_EQ(response.result_int(), 400) << agent_upgrade.dump();
        EXPECT_EQ(parse(response)["error"]["code"], "InvalidParameter") << agent_upgrade.dump();
        EXPECT_NE(parse(response)["error"]["message"].get<std::string>().find("agentUpgrade"),
                  std::string::npos)
            << agent_upgrade.dump();
    }
    const json put_body{{"location", "westeurope"},
                        {"properties", {{"agentUpgrade", {{"desiredVersion", "x.y"}}}}}};
    EXPECT_EQ(call(http::Verb::put, machineUrl("rg1", "m1"), put_body.dump(), token).result_int(),
              400);
    auto unchanged = call(http::Verb::get, machineUrl("rg1", "m1"), {}, token);
    EXPECT_EQ(parse(unchanged)["properties"]["agentUpgrade"]["desiredVersion"], "1.5");
}

TEST_F(ArmTest, AgentUpgradeNeedsMachineWrite) {
    createGroup("rg1");
    ASSERT_EQ(putMachine("rg1", "m1", machineKeyPem()).result_int(), 201);
    const auto reader = addPrincipal("Reader", groupPath("rg1"));
    auto denied =
        call(http::Verb::patch, machineUrl("rg1", "m1"),
             R"({"properties":{"agentUpgrade":{"desiredVersion":"1.5"}}})", tokenFor(reader));
    EXPECT_EQ(denied.result_int(), 403);
    EXPECT_EQ(parse(denied)["error"]["code"], "AuthorizationFailed");
}

TEST_F(ArmTest, UnknownSubscriptionAndRoutes) {
    const auto token = ownerToken();
    auto unknown = call(http::Verb::get,
                        "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups"
                        "?api-version=2021-04-01",
                        {}, token);
    EXPECT_EQ(unknown.result_int(), 404);
    EXPECT_EQ(parse(unknown)["error"]["code"], "SubscriptionNotFound");
    auto other_type = call(http::Verb::get,
                           groupPath("rg1") + "/providers/Microsoft.HybridCompute/widgets/x"
                                              "?api-version=2024-07-10",
                           {}, token);
    EXPECT_EQ(other_type.result_int(), 404);
    EXPECT_EQ(parse(other_type)["error"]["code"], "InvalidResourceType");
    auto other = call(http::Verb::get, "/nowhere", {}, token);
    EXPECT_EQ(other.result_int(), 404);
    EXPECT_EQ(call(http::Verb::get, "/gc/anything").result_int(), 404);
}

TEST_F(ArmTest, OnboardingRoleCanWriteButNotDelete) {
    createGroup("rg1");
    const auto onboarding = addPrincipal(std::string(kOnboardingRoleId), groupPath("rg1"));
    const auto token = tokenFor(onboarding);
    ASSERT_EQ(putMachine("rg1", "m1", machineKeyPem(), token).result_int(), 201);
    EXPECT_EQ(call(http::Verb::get, machineUrl("rg1", "m1"), {}, token).result_int(), 200);
    auto denied = call(http::Verb::delete_, machineUrl("rg1", "m1"), {}, token);
    EXPECT_EQ(denied.result_int(), 403);
    const auto error = parse(denied)["error"];
    EXPECT_EQ(error["code"], "AuthorizationFailed");
    EXPECT_EQ(error["message"],
              "The client '" + onboarding.app_id + "' with object id '" + onboarding.object_id +
                  "' does not have authorization to perform action "
                  "'Microsoft.HybridCompute/machines/delete' over scope '" +
                  machinePath("rg1", "m1") +
                  "' or the scope is invalid. If access was recently granted, please refresh your "
                  "credentials.");
    // The scope ends at rg1: rg10 is another group.
    createGroup("rg10");
    EXPECT_EQ(putMachine("rg10", "m1", machineKeyPem(), token).result_int(), 403);
    // Authorization comes before existence: a group it cannot see is 403, not 404.
    EXPECT_EQ(putMachine("missing", "m1", machineKeyPem(), token).result_int(), 403);
    EXPECT_EQ(call(http::Verb::put, groupPath("rg3") + "?api-version=2021-04-01",
                   R"({"location":"westeurope"})", token)
                  .result_int(),
              403);
}

TEST_F(ArmTest, ReaderCanOnlyReadAndListsAreFiltered) {
    createGroup("rg1");
    createGroup("rg2");
    ASSERT_EQ(putMachine("rg1", "m1", machineKeyPem()).result_int(), 201);
    ASSERT_EQ(putMachine("rg2", "m2", machineKeyPem()).result_int(), 201);
    const auto reader = addPrincipal("Reader", groupPath("rg1"));
    const auto token = tokenFor(reader);
    EXPECT_EQ(call(http::Verb::get, machineUrl("rg1", "m1"), {}, token).result_int(), 200);
    EXPECT_EQ(putMachine("rg1", "m1", machineKeyPem(), token).result_int(), 403);
    EXPECT_EQ(call(http::Verb::delete_, machineUrl("rg1", "m1"), {}, token).result_int(), 403);
    EXPECT_EQ(call(http::Verb::get, machineUrl("rg2", "m2"), {}, token).result_int(), 403);
    auto list =
        call(http::Verb::get,
             subscriptionPath() +
                 "/providers/Microsoft.HybridCompute/machines?api-version=" + kMachineVersion,
             {}, token);
    ASSERT_EQ(list.result_int(), 200);
    ASSERT_EQ(parse(list)["value"].size(), 1u);
    EXPECT_EQ(parse(list)["value"][0]["name"], "m1");
    auto groups = call(http::Verb::get,
                       subscriptionPath() + "/resourcegroups?api-version=2021-04-01", {}, token);
    ASSERT_EQ(groups.result_int(), 200);
    ASSERT_EQ(parse(groups)["value"].size(), 1u);
    EXPECT_EQ(parse(groups)["value"][0]["name"], "rg1");
}

TEST_F(ArmTest, ResourceAdministratorCanDeleteMachines) {
    createGroup("rg1");
    ASSERT_EQ(putMachine("rg1", "m1", machineKeyPem()).result_int(), 201);
    const auto admin =
        addPrincipal("Azure Connected Machine Resource Administrator", subscriptionPath());
    EXPECT_EQ(call(http::Verb::delete_, machineUrl("rg1", "m1"), {}, tokenFor(admin)).result_int(),
              200);
}

} // namespace
} // namespace azcm::emulator::test

namespace azcm::emulator::test {
namespace {

TEST_F(ArmTest, AcceptsArmAudiencesAndRefusesOthers) {
    const auto owner = Credential{settings_.bootstrap_app_id, "", settings_.bootstrap_password};
    const auto tokenWithScope = [&](const std::string& scope) {
        auto response = call(http::Verb::post, "/" + settings_.tenant_id + "/oauth2/v2.0/token",
                             "grant_type=client_credentials&client_id=" + owner.app_id +
                                 "&client_secret=" + owner.secret + "&scope=" + scope);
        EXPECT_EQ(response.result_int(), 200) << response.body();
        return parse(response)["access_token"].get<std::string>();
    };
    const std::string url = subscriptionPath() + "/resourcegroups?api-version=2021-04-01";
    for (const char* scope : {"https%3A%2F%2Fmanagement.azure.com%2F%2F.default",
                              "https%3A%2F%2Flocalhost%3A8443%2F.default",
                              "https%3A%2F%2Fmanagement.core.windows.net%2F%2F.default"}) {
        EXPECT_EQ(call(http::Verb::get, url, {}, tokenWithScope(scope)).result_int(), 200) << scope;
    }
    auto other = call(http::Verb::get, url, {}, tokenWithScope("api%3A%2F%2Fsomething%2F.default"));
    EXPECT_EQ(other.result_int(), 401);
    EXPECT_EQ(parse(other)["error"]["code"], "InvalidAuthenticationToken");
}

} // namespace
} // namespace azcm::emulator::test
