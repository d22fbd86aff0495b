#include "azcmagent/onboarding_control_plane.hpp"
#include "azcmagent/responses.hpp"

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

TEST(ServiceError, ArmAndEntraShapes) {
    auto arm = parseServiceError(R"({"error":{"code":"AuthorizationFailed","message":"no"}})");
    EXPECT_EQ(arm.code, "AuthorizationFailed");
    EXPECT_EQ(arm.message, "no");
    auto entra = parseServiceError(
        R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret"})");
    EXPECT_EQ(entra.code, "invalid_client");
    EXPECT_EQ(entra.message, "AADSTS7000215: Invalid client secret");
    EXPECT_TRUE(parseServiceError("not json").code.empty());
}

TEST(ServiceError, NetworkTextIsSanitized) {
    auto error = parseServiceError(R"({"error":{"code":"X","message":"line1\nFORGED"}})");
    EXPECT_EQ(error.message.find('\n'), std::string::npos);
}

TEST(FormEncode, ReservedCharactersEscaped) {
    EXPECT_EQ(formEncode({{"scope", "https://management.azure.com/.default"}, {"a b", "x&y=z"}}),
              "scope=https%3A%2F%2Fmanagement.azure.com%2F.default&a%20b=x%26y%3Dz");
}

TEST(TokenResponse, SuccessGivesTheToken) {
    auto token = mapTokenResponse(200, R"({"access_token":"abc","token_type":"Bearer"})");
    ASSERT_TRUE(token);
    EXPECT_EQ(token.value(), "abc");
    EXPECT_FALSE(mapTokenResponse(200, "{}"));
}

TEST(TokenResponse, BadCredentialsAre41WithTheDescription) {
    for (unsigned status : {400u, 401u}) {
        auto token = mapTokenResponse(
            status,
            R"({"error":"invalid_client","error_description":"AADSTS7000215: bad secret"})");
        ASSERT_FALSE(token);
        EXPECT_EQ(token.error().code, exitcode::kTokenFailed);
        EXPECT_NE(token.error().message.find("AADSTS7000215: bad secret"), std::string::npos);
    }
    auto server_error = mapTokenResponse(503, "");
    ASSERT_FALSE(server_error);
    EXPECT_EQ(server_error.error().code, exitcode::kTokenFailed);
    EXPECT_NE(server_error.error().message.find("503"), std::string::npos);
}

TEST(MachinePut, CreatedOrResourceGroupMissing) {
    EXPECT_EQ(mapMachinePutResponse(200, "{}").value(), MachinePutOutcome::kDone);
    EXPECT_EQ(mapMachinePutResponse(201, "{}").value(), MachinePutOutcome::kDone);
    EXPECT_EQ(
        mapMachinePutResponse(404, R"({"error":{"code":"ResourceGroupNotFound","message":"gone"}})")
            .value(),
        MachinePutOutcome::kResourceGroupMissing);
}

TEST(MachinePut, ForbiddenAndOtherFailuresAre42WithArmMessage) {
    auto forbidden = mapMachinePutResponse(
        403, R"({"error":{"code":"AuthorizationFailed","message":"does not have authorization"}})");
    ASSERT_FALSE(forbidden);
    EXPECT_EQ(forbidden.error().code, exitcode::kCreateResourceFailed);
    EXPECT_NE(forbidden.error().message.find("does not have authorization"), std::string::npos);
    auto not_found =
        mapMachinePutResponse(404, R"({"error":{"code":"SubscriptionNotFound","message":"x"}})");
    ASSERT_FALSE(not_found);
    EXPECT_EQ(not_found.error().code, exitcode::kCreateResourceFailed);
    EXPECT_FALSE(mapResourceGroupPutResponse(403, "{}"));
    EXPECT_TRUE(mapResourceGroupPutResponse(201, "{}"));
}

TEST(MachineDelete, GoneIsFineForbiddenIs43) {
    for (unsigned status : {200u, 202u, 204u, 404u}) {
        EXPECT_TRUE(mapMachineDeleteResponse(status, "", "/subscriptions/s")) << status;
    }
    auto forbidden = mapMachineDeleteResponse(403, "{}", "/subscriptions/s/x");
    ASSERT_FALSE(forbidden);
    EXPECT_EQ(forbidden.error().code, exitcode::kDeleteResourceFailed);
    EXPECT_NE(forbidden.error().message.find("--force-local-only"), std::string::npos);
}

TEST(Certificate, PemOr81) {
    auto good = mapCertificateResponse(
        200, R"({"certificate":"-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n"})");
    ASSERT_TRUE(good);
    auto mismatch =
        mapCertificateResponse(400, R"({"error":{"code":"KeyMismatch","message":"m"}})");
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error().code, exitcode::kCertificateDownload);
    EXPECT_NE(mismatch.error().message.find("KeyMismatch"), std::string::npos);
    EXPECT_EQ(mapCertificateResponse(200, R"({"certificate":"junk"})").error().code,
              exitcode::kCertificateDownload);
}

TEST(Himds, KeysAndActivate) {
    auto keys = mapHimdsKeysResponse(200, R"({"publicKey":"MIIB","csr":"-----BEGIN"})");
    ASSERT_TRUE(keys);
    EXPECT_EQ(keys.value().public_key, "MIIB");
    EXPECT_EQ(mapHimdsKeysResponse(403, "{}").error().code, exitcode::kHimdsCommunication);
    EXPECT_TRUE(mapHimdsActivateResponse(200, "{}"));
    EXPECT_EQ(mapHimdsActivateResponse(400, "{}").error().code, exitcode::kConnectFailed);
}

TEST(Portal, PageUrl) {
    EXPECT_EQ(portalPage("t1", "/subscriptions/s/resourceGroups/g/providers/"
                               "Microsoft.HybridCompute/machines/m"),
              "https://portal.azure.com/#@t1/resource/subscriptions/s/resourceGroups/g/providers/"
              "Microsoft.HybridCompute/machines/m");
}

TEST(MachineBody, CarriesIdentityAndKey) {
    MachineRequest request;
    request.location = "eastus";
    request.tags = {{"env", "prod"}};
    request.client_public_key = "MIIB";
    request.vm_uuid = "uuid-1";
    const auto body = machinePutBody(request);
    EXPECT_EQ(body.at("location"), "eastus");
    EXPECT_EQ(body.at("identity").at("type"), "SystemAssigned");
    EXPECT_EQ(body.at("properties").at("clientPublicKey"), "MIIB");
    EXPECT_EQ(body.at("properties").at("vmUuid"), "uuid-1");
    EXPECT_EQ(body.at("tags").at("env"), "prod");
    EXPECT_FALSE(body.at("properties").contains("privateLinkScopeResourceId"));
}

} // namespace
} // namespace azcm::azcmagent
