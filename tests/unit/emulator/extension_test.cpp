// Machine extensions through ARM (routes, shapes, RBAC, long-running operations) and the agent's
// side (goal state, reports over mutual TLS) that completes those operations.
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "emulator/sqlite_db.hpp"
#include "emulator/store.hpp"
#include "emulator_fixture.hpp"

#include <gtest/gtest.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "do-not-echo-4711";

class ExtensionTest : public EmulatorFixture {
protected:
    void SetUp() override {
        createGroup("rg1");
        ASSERT_EQ(putMachine("rg1", "web01", machineKeyPem()).result_int(), 201);
        const json body{{"resourceId", machinePath("rg1", "web01")},
                        {"csr", crypto::createCsrPem(machineKeyPem(), "web01").value()}};
        auto issued =
            call(http::Verb::post, "/his/machines/certificate", body.dump(), ownerToken());
        ASSERT_EQ(issued.result_int(), 200) << issued.body();
        machine_der_ = crypto::parseCertificatePem(parse(issued)["certificate"].get<std::string>())
                           .value()
                           .der;
    }

    std::string extensionsPath() const { return machinePath("rg1", "web01") + "/extensions"; }
    std::string url(const std::string& name) const {
        return extensionsPath() + "/" + name + "?api-version=" + kMachineVersion;
    }
    static json definition() {
        return json{{"location", "westeurope"},
                    {"properties",
                     {{"publisher", "Microsoft.Azure.Extensions"},
                      {"type", "CustomScript"},
                      {"typeHandlerVersion", "2.1"},
                      {"autoUpgradeMinorVersion", true},
                      {"enableAutomaticUpgrade", false},
                      {"forceUpdateTag", "1"},
                      {"settings", {{"commandToExecute", "echo hi"}}},
                      {"protectedSettings", {{"secret", kSecret}}}}}};
    }
    http::Response
    put(const std::string& name, const json& body = definition(), const std::string& token = {}) {
        return call(http::Verb::put, url(name), body.dump(), token.empty() ? ownerToken() : token);
    }
    // The path and query of an absolute Azure-AsyncOperation/Location URL.
    static std::string local(boost::beast::string_view url) {
        const std::string absolute(url.data(), url.size());
        EXPECT_EQ(absolute.rfind(kBaseUrl, 0), 0u) << absolute;
        return absolute.substr(std::string(kBaseUrl).size());
    }
    json operation(const http::Response& started, const std::string& token = {}) {
        const std::string status_url(started["Azure-AsyncOperation"]);
        auto response =
            call(http::Verb::get, local(status_url), {}, token.empty() ? ownerToken() : token);
        EXPECT_EQ(response.result_int(), 200) << response.body();
        return parse(response);
    }
    http::Response agent(http::Verb method, const std::string& route, const json& body = {}) {
        http::PeerInfo peer;
        peer.client_certificate_der = machine_der_;
        return call(method, "/his/machines/extensions/" + route, body.is_null() ? "" : body.dump(),
                    {}, peer);
    }
    http::Response report(const json& body) { return agent(http::Verb::post, "report", body); }
    json get(const std::string& name) {
        auto response = call(http::Verb::get, url(name), {}, ownerToken());
        EXPECT_EQ(response.result_int(), 200) << response.body();
        return parse(response);
    }

    std::string machine_der_;
};

TEST_F(ExtensionTest, PutAnswers201WithAsyncOperationAndTheArmShape) {
    auto created = put("custom");
    ASSERT_EQ(created.result_int(), 201) << created.body();
    const auto body = parse(created);
    EXPECT_EQ(body["id"], machinePath("rg1", "web01") + "/extensions/custom");
    EXPECT_EQ(body["name"], "custom");
    EXPECT_EQ(body["type"], "Microsoft.HybridCompute/machines/extensions");
    EXPECT_EQ(body["location"], "westeurope");
    const auto& properties = body["properties"];
    EXPECT_EQ(properties["provisioningState"], "Creating");
    EXPECT_EQ(properties["publisher"], "Microsoft.Azure.Extensions");
    EXPECT_EQ(properties["type"], "CustomScript");
    EXPECT_EQ(properties["typeHandlerVersion"], "2.1");
    EXPECT_EQ(properties["autoUpgradeMinorVersion"], true);
    EXPECT_EQ(properties["enableAutomaticUpgrade"], false);
    EXPECT_EQ(properties["forceUpdateTag"], "1");
    EXPECT_EQ(properties["settings"], json({{"commandToExecute", "echo hi"}}));
    EXPECT_FALSE(properties.contains("protectedSettings"));
    EXPECT_EQ(created.body().find(kSecret), std::string::npos);

    const std::string async(created["Azure-AsyncOperation"]);
    EXPECT_NE(
        async.find("/providers/Microsoft.HybridCompute/locations/westeurope/operationStatus/"),
        std::string::npos)
        << async;
    EXPECT_NE(async.find("api-version=" + std::string(kMachineVersion)), std::string::npos);
    EXPECT_NE(std::string(created[http::Field::location]).find("/operationResults/"),
              std::string::npos);
    const auto status = operation(created);
    EXPECT_EQ(status["status"], "InProgress");
    EXPECT_FALSE(status.contains("error"));
}

TEST_F(ExtensionTest, AgentSuccessReportCompletesTheOperation) {
    auto created = put("custom");
    ASSERT_EQ(created.result_int(), 201);
    auto results = call(http::Verb::get, local(created[http::Field::location]), {}, ownerToken());
    EXPECT_EQ(results.result_int(), 202) << "operationResults while running";

    auto goal = agent(http::Verb::get, "goalstate");
    ASSERT_EQ(goal.result_int(), 200) << goal.body();
    const auto extensions = parse(goal)["extensions"];
    ASSERT_EQ(extensions.size(), 1u);
    EXPECT_EQ(extensions[0]["name"], "custom");
    EXPECT_EQ(extensions[0]["state"], "enabled");
    EXPECT_EQ(extensions[0]["publisher"], "Microsoft.Azure.Extensions");
    EXPECT_EQ(extensions[0]["settings"]["commandToExecute"], "echo hi");
    EXPECT_EQ(extensions[0]["sequenceNumber"], 1);
    EXPECT_EQ(goal.body().find(kSecret), std::string::npos) << "protected settings not sent yet";

    auto reported = report({{"name", "custom"},
                            {"status", "Succeeded"},
                            {"message", "Enable succeeded"},
                            {"sequenceNumber", 1}});
    ASSERT_EQ(reported.result_int(), 200) << reported.body();
    const auto status = operation(created);
    EXPECT_EQ(status["status"], "Succeeded");
    EXPECT_TRUE(status.contains("endTime"));
    const auto extension = get("custom");
    EXPECT_EQ(extension["properties"]["provisioningState"], "Succeeded");
    const auto& view = extension["properties"]["instanceView"];
    EXPECT_EQ(view["name"], "custom");
    EXPECT_EQ(view["type"], "CustomScript");
    EXPECT_EQ(view["typeHandlerVersion"], "2.1");
    EXPECT_EQ(view["status"]["code"], "0");
    EXPECT_EQ(view["status"]["level"], "Info");
    EXPECT_EQ(view["status"]["displayStatus"], "Provisioning succeeded");
    EXPECT_EQ(view["status"]["message"], "Enable succeeded");
    EXPECT_TRUE(view["status"]["time"].is_string());
    auto done = call(http::Verb::get, local(created[http::Field::location]), {}, ownerToken());
    ASSERT_EQ(done.result_int(), 200);
    EXPECT_EQ(parse(done)["properties"]["provisioningState"], "Succeeded");
}

TEST_F(ExtensionTest, AgentFailureCarriesCodeAndReasonIntoTheOperation) {
    auto created = put("custom");
    ASSERT_EQ(created.result_int(), 201);
    ASSERT_EQ(report({{"name", "custom"},
                      {"status", "Failed"},
                      {"code", "1009"},
                      {"message", "enable.sh exited with 3"}})
                  .result_int(),
              200);
    const auto status = operation(created);
    EXPECT_EQ(status["status"], "Failed");
    EXPECT_EQ(status["error"]["code"], "1009");
    EXPECT_EQ(status["error"]["message"], "enable.sh exited with 3");
    const auto extension = get("custom");
    EXPECT_EQ(extension["properties"]["provisioningState"], "Failed");
    EXPECT_EQ(extension["properties"]["instanceView"]["status"]["level"], "Error");
    EXPECT_EQ(extension["properties"]["instanceView"]["status"]["message"],
              "enable.sh exited with 3");
}

TEST_F(ExtensionTest, UpdateAndPatchGoThroughUpdatingAndNeverEchoProtectedSettings) {
    ASSERT_EQ(put("custom").result_int(), 201);
    ASSERT_EQ(report({{"name", "custom"}, {"status", "Succeeded"}}).result_int(), 200);
    auto replaced = put("custom");
    ASSERT_EQ(replaced.result_int(), 200) << replaced.body();
    EXPECT_EQ(parse(replaced)["properties"]["provisioningState"], "Updating");
    EXPECT_EQ(put("custom").result_int(), 409) << "one operation at a time";
    ASSERT_EQ(
        report({{"name", "custom"}, {"status", "Succeeded"}, {"sequenceNumber", 1}}).result_int(),
        409)
        << "a report about an older goal state";
    ASSERT_EQ(
        report({{"name", "custom"}, {"status", "Succeeded"}, {"sequenceNumber", 2}}).result_int(),
        200);
    EXPECT_EQ(operation(replaced)["status"], "Succeeded");

    auto patched =
        call(http::Verb::patch, url("custom"),
             json{{"properties", {{"settings", {{"commandToExecute", "echo 2"}}}}}}.dump(),
             ownerToken());
    ASSERT_EQ(patched.result_int(), 200) << patched.body();
    EXPECT_EQ(parse(patched)["properties"]["provisioningState"], "Updating");
    EXPECT_EQ(parse(patched)["properties"]["typeHandlerVersion"], "2.1") << "PATCH merges";
    EXPECT_EQ(parse(patched)["properties"]["settings"]["commandToExecute"], "echo 2");
    EXPECT_EQ(parse(agent(http::Verb::get, "goalstate"))["extensions"][0]["sequenceNumber"], 3);
    auto type_change = call(http::Verb::patch, url("custom"),
                            json{{"properties", {{"type", "Other"}}}}.dump(), ownerToken());
    EXPECT_EQ(type_change.result_int(), 409) << "still updating";

    for (const auto& response :
         {call(http::Verb::get, url("custom"), {}, ownerToken()),
          call(http::Verb::get, extensionsPath() + "?api-version=" + kMachineVersion, {},
               ownerToken()),
          agent(http::Verb::get, "goalstate"), patched}) {
        EXPECT_EQ(response.body().find(kSecret), std::string::npos) << response.body();
        // The goal state says "protectedSettingsPending" (no settings certificate registered).
        EXPECT_EQ(response.body().find("\"protectedSettings\""), std::string::npos);
    }
    auto stored = store_->findExtension(settings_.subscription_id, "rg1", "web01", "custom");
    ASSERT_TRUE(stored && stored.value());
    EXPECT_EQ(stored.value()->protected_settings["secret"], kSecret) << "kept for the agent";
}

TEST_F(ExtensionTest, PublisherAndTypeNeverChange) {
    ASSERT_EQ(put("custom").result_int(), 201);
    ASSERT_EQ(report({{"name", "custom"}, {"status", "Succeeded"}}).result_int(), 200);
    auto patched = call(http::Verb::patch, url("custom"),
                        json{{"properties", {{"type", "Other"}}}}.dump(), ownerToken());
    EXPECT_EQ(patched.result_int(), 400);
    EXPECT_EQ(parse(patched)["error"]["code"], "PropertyChangeNotAllowed");
    auto other = definition();
    other["properties"]["publisher"] = "Someone.Else";
    auto replaced = put("custom", other);
    EXPECT_EQ(replaced.result_int(), 400);
    EXPECT_EQ(parse(replaced)["error"]["code"], "PropertyChangeNotAllowed");
    EXPECT_EQ(get("custom")["properties"]["provisioningState"], "Succeeded");
}

TEST_F(ExtensionTest, DeleteCompletesWhenTheAgentReportsRemoval) {
    ASSERT_EQ(put("custom").result_int(), 201);
    ASSERT_EQ(report({{"name", "custom"}, {"status", "Succeeded"}}).result_int(), 200);
    EXPECT_EQ(report({{"name", "custom"}, {"status", "Removed"}}).result_int(), 409)
        << "not being deleted";
    auto deleting = call(http::Verb::delete_, url("custom"), {}, ownerToken());
    ASSERT_EQ(deleting.result_int(), 202) << deleting.body();
    EXPECT_EQ(get("custom")["properties"]["provisioningState"], "Deleting");
    EXPECT_EQ(operation(deleting)["status"], "InProgress");
    const auto goal = parse(agent(http::Verb::get, "goalstate"))["extensions"];
    ASSERT_EQ(goal.size(), 1u);
    EXPECT_EQ(goal[0]["state"], "uninstall");
    auto again = call(http::Verb::delete_, url("custom"), {}, ownerToken());
    EXPECT_EQ(again.result_int(), 202);
    EXPECT_EQ(std::string(again["Azure-AsyncOperation"]),
              std::string(deleting["Azure-AsyncOperation"]))
        << "a repeated DELETE joins the running one";
    EXPECT_EQ(report({{"name", "custom"}, {"status", "Succeeded"}}).result_int(), 409);

    ASSERT_EQ(report({{"name", "custom"}, {"status", "Removed"}}).result_int(), 200);
    EXPECT_EQ(operation(deleting)["status"], "Succeeded");
    EXPECT_EQ(call(http::Verb::get, url("custom"), {}, ownerToken()).result_int(), 404);
    EXPECT_EQ(call(http::Verb::delete_, url("custom"), {}, ownerToken()).result_int(), 204);
    auto results = call(http::Verb::get, local(deleting[http::Field::location]), {}, ownerToken());
    EXPECT_EQ(results.result_int(), 204);
    EXPECT_TRUE(parse(agent(http::Verb::get, "goalstate"))["extensions"].empty());
}

TEST_F(ExtensionTest, DeleteSupersedesAnUnfinishedCreate) {
    auto created = put("custom");
    ASSERT_EQ(created.result_int(), 201);
    ASSERT_EQ(call(http::Verb::delete_, url("custom"), {}, ownerToken()).result_int(), 202);
    const auto status = operation(created);
    EXPECT_EQ(status["status"], "Failed");
    EXPECT_EQ(status["error"]["code"], "OperationPreempted");
    EXPECT_FALSE(status["error"]["message"].get<std::string>().empty());
}

TEST_F(ExtensionTest, ListShowsTheMachinesExtensions) {
    ASSERT_EQ(put("b-ext").result_int(), 201);
    ASSERT_EQ(put("a-ext").result_int(), 201);
    auto list = call(http::Verb::get, extensionsPath() + "?api-version=" + kMachineVersion, {},
                     ownerToken());
    ASSERT_EQ(list.result_int(), 200) << list.body();
    const auto value = parse(list)["value"];
    ASSERT_EQ(value.size(), 2u);
    EXPECT_EQ(value[0]["name"], "a-ext");
    EXPECT_EQ(value[1]["name"], "b-ext");
    EXPECT_EQ(value[0]["properties"]["provisioningState"], "Creating");
}

TEST_F(ExtensionTest, MissingParentsAndBadBodiesAreRefused) {
    auto no_machine =
        call(http::Verb::put,
             machinePath("rg1", "ghost") + "/extensions/x?api-version=" + kMachineVersion,
             definition().dump(), ownerToken());
    EXPECT_EQ(no_machine.result_int(), 404);
    EXPECT_EQ(parse(no_machine)["error"]["code"], "ParentResourceNotFound");
    auto no_group =
        call(http::Verb::get,
             machinePath("nogroup", "web01") + "/extensions?api-version=" + kMachineVersion, {},
             ownerToken());
    EXPECT_EQ(no_group.result_int(), 404);
    auto missing = call(http::Verb::get, url("nothere"), {}, ownerToken());
    EXPECT_EQ(missing.result_int(), 404);
    EXPECT_EQ(parse(missing)["error"]["code"], "ResourceNotFound");
    EXPECT_EQ(call(http::Verb::patch, url("nothere"), "{}", ownerToken()).result_int(), 404);
    EXPECT_EQ(put("x", json{{"properties", {{"type", "CustomScript"}}}}).result_int(), 400)
        << "publisher is required";
    EXPECT_EQ(
        put("x", json{{"properties", {{"publisher", "P"}, {"type", "T"}, {"settings", "text"}}}})
            .result_int(),
        400);
    EXPECT_EQ(put("bad/name").result_int(), 404) << "not a route";
    EXPECT_EQ(put("bad!name").result_int(), 400);
    auto no_version = call(http::Verb::get, extensionsPath() + "/x", {}, ownerToken());
    EXPECT_EQ(no_version.result_int(), 400);
    EXPECT_EQ(parse(no_version)["error"]["code"], "InvalidApiVersionParameter");
}

TEST_F(ExtensionTest, OnboardingCannotWriteExtensionsResourceAdministratorCan) {
    const auto onboarding =
        tokenFor(addPrincipal("Azure Connected Machine Onboarding", subscriptionPath()));
    auto refused = put("custom", definition(), onboarding);
    EXPECT_EQ(refused.result_int(), 403);
    EXPECT_EQ(parse(refused)["error"]["code"], "AuthorizationFailed");
    EXPECT_NE(refused.body().find("Microsoft.HybridCompute/machines/extensions/write"),
              std::string::npos);
    // Authorization comes before existence: the same answer for a machine that does not exist.
    auto ghost = call(http::Verb::put,
                      machinePath("rg1", "ghost") + "/extensions/x?api-version=" + kMachineVersion,
                      definition().dump(), onboarding);
    EXPECT_EQ(ghost.result_int(), 403);

    const auto admin = tokenFor(
        addPrincipal("Azure Connected Machine Resource Administrator", subscriptionPath()));
    auto created = put("custom", definition(), admin);
    ASSERT_EQ(created.result_int(), 201) << created.body();
    EXPECT_EQ(operation(created, admin)["status"], "InProgress");
    EXPECT_EQ(call(http::Verb::delete_, url("custom"), {}, onboarding).result_int(), 403);

    const auto reader = tokenFor(addPrincipal("Reader", subscriptionPath()));
    EXPECT_EQ(call(http::Verb::get, url("custom"), {}, reader).result_int(), 200);
    EXPECT_EQ(
        call(http::Verb::get, extensionsPath() + "?api-version=" + kMachineVersion, {}, reader)
            .result_int(),
        200);
    EXPECT_EQ(operation(created, reader)["status"], "InProgress");
    EXPECT_EQ(put("custom", definition(), reader).result_int(), 403);
    EXPECT_EQ(call(http::Verb::delete_, url("custom"), {}, reader).result_int(), 403);
    const auto elsewhere = tokenFor(addPrincipal("Reader", groupPath("other")));
    auto hidden = call(http::Verb::get, local(created["Azure-AsyncOperation"]), {}, elsewhere);
    EXPECT_EQ(hidden.result_int(), 403) << "the operation of a resource the caller cannot read";
}

TEST_F(ExtensionTest, AgentRoutesNeedTheMachineCertificate) {
    ASSERT_EQ(put("custom").result_int(), 201);
    EXPECT_EQ(call(http::Verb::get, "/his/machines/extensions/goalstate").result_int(), 401);
    EXPECT_EQ(call(http::Verb::post, "/his/machines/extensions/report",
                   json{{"name", "custom"}, {"status", "Succeeded"}}.dump())
                  .result_int(),
              401);
    EXPECT_EQ(get("custom")["properties"]["provisioningState"], "Creating");
    EXPECT_EQ(report({{"name", "nothere"}, {"status", "Succeeded"}}).result_int(), 404);
    EXPECT_EQ(report({{"name", "custom"}, {"status", "Bogus"}}).result_int(), 400);
    EXPECT_EQ(agent(http::Verb::post, "goalstate").result_int(), 405);
    EXPECT_EQ(report({{"name", "custom"}, {"provisioningState", "Succeeded"}}).result_int(), 200)
        << "provisioningState is accepted for status";
}

TEST_F(ExtensionTest, ExtensionsSurviveReopeningTheStoreAndGoWithTheirMachine) {
    auto created = put("custom");
    ASSERT_EQ(created.result_int(), 201);
    auto reopened = Store::open(dir_.path() / "emulator.db");
    ASSERT_TRUE(reopened);
    auto listed = reopened.value()->listExtensions(settings_.subscription_id, "RG1", "WEB01");
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed.value().size(), 1u);
    EXPECT_EQ(listed.value()[0].provisioning_state, "Creating");
    EXPECT_EQ(call(http::Verb::delete_,
                   machinePath("rg1", "web01") + "?api-version=" + kMachineVersion, {},
                   ownerToken())
                  .result_int(),
              200);
    auto after = store_->listExtensions(settings_.subscription_id, "rg1", "web01");
    ASSERT_TRUE(after);
    EXPECT_TRUE(after.value().empty()) << "deleting a machine deletes its extensions";
    const auto status = operation(created);
    EXPECT_EQ(status["status"], "Failed") << "no report will ever come";
    EXPECT_EQ(status["error"]["code"], "ParentResourceDeleted");
}

TEST_F(ExtensionTest, DataDirectoriesFromBeforeExtensionsGainTheTables) {
    {
        auto db = Database::open(dir_.path() / "emulator.db");
        ASSERT_TRUE(db);
        ASSERT_TRUE(
            db.value()->exec("DROP TABLE machine_extensions; DROP TABLE extension_operations;"));
    }
    auto reopened = Store::open(dir_.path() / "emulator.db");
    ASSERT_TRUE(reopened) << reopened.error().message;
    auto machine = reopened.value()->findMachine(settings_.subscription_id, "rg1", "web01");
    ASSERT_TRUE(machine && machine.value()) << "existing data is kept";
    EXPECT_TRUE(reopened.value()->listExtensions(settings_.subscription_id, "rg1", "web01"));
    EXPECT_EQ(put("custom").result_int(), 201);
}

TEST_F(ExtensionTest, DeletingTheGroupFailsRunningOperations) {
    auto created = put("custom");
    ASSERT_EQ(created.result_int(), 201);
    ASSERT_EQ(
        call(http::Verb::delete_, groupPath("rg1") + "?api-version=2021-04-01", {}, ownerToken())
            .result_int(),
        200);
    EXPECT_EQ(operation(created)["status"], "Failed");
}

} // namespace
} // namespace azcm::emulator::test
