// Reading the identity service's token answer and writing the IMDS token answer (docs/imds.md).
#include "himds/token_fetcher.hpp"

#include <gtest/gtest.h>

namespace {

using azcm::WallTime;
using azcm::himds::ManagedIdentityToken;
using azcm::himds::parseTokenReply;
using azcm::himds::ServiceReply;
using azcm::himds::tokenResponseJson;
using nlohmann::json;

TEST(TokenFetcher, ReadsTheStringValuesOfTheServiceAnswer) {
    const auto token =
        parseTokenReply(ServiceReply{200, json{{"access_token", "eyJ.x.y"},
                                               {"expires_in", "86400"},
                                               {"expires_on", "1800086400"},
                                               {"not_before", "1800000000"},
                                               {"resource", "https://vault.azure.net"},
                                               {"token_type", "Bearer"},
                                               {"client_id", "cid"},
                                               {"object_id", "oid"}}});
    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token.value().access_token, "eyJ.x.y");
    EXPECT_EQ(token.value().client_id, "cid");
    EXPECT_EQ(token.value().object_id, "oid");
    EXPECT_EQ(token.value().expires_on, WallTime(std::chrono::seconds(1800086400)));
    EXPECT_EQ(token.value().issued_at, WallTime(std::chrono::seconds(1800000000)));
}

TEST(TokenFetcher, RefusalsKeepTheirStatusAndMalformedAnswersAreErrors) {
    const auto refused = parseTokenReply(ServiceReply{
        400, json{{"error", {{"code", "ManagedIdentityNotEnabled"}, {"message", "no identity"}}}}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, 400);
    EXPECT_NE(refused.error().message.find("no identity"), std::string::npos);
    EXPECT_EQ(parseTokenReply(ServiceReply{503, json()}).error().code, 503);
    EXPECT_FALSE(parseTokenReply(ServiceReply{200, json("text")}));
    EXPECT_FALSE(parseTokenReply(ServiceReply{200, json{{"access_token", "a"}}}));
    EXPECT_FALSE(
        parseTokenReply(ServiceReply{200, json{{"access_token", "a"}, {"expires_on", "soon"}}}));
    EXPECT_FALSE(parseTokenReply(
        ServiceReply{200, json{{"access_token", ""}, {"expires_on", "1800086400"}}}));
}

TEST(TokenFetcher, AnswerHasOnlyStringValuesAndCountsDownExpiresIn) {
    ManagedIdentityToken token;
    token.access_token = "eyJ.x.y";
    token.issued_at = WallTime(std::chrono::seconds(1800000000));
    token.expires_on = WallTime(std::chrono::seconds(1800086400));
    token.client_id = "cid";
    token.object_id = "oid";
    const auto now = WallTime(std::chrono::seconds(1800000942));
    const auto answer = tokenResponseJson(token, "https://vault.azure.net", now);
    for (const auto& [key, value] : answer.items()) {
        EXPECT_TRUE(value.is_string()) << key;
    }
    EXPECT_EQ(answer["access_token"], "eyJ.x.y");
    EXPECT_EQ(answer["refresh_token"], "");
    EXPECT_EQ(answer["expires_in"], "85458");
    EXPECT_EQ(answer["expires_on"], "1800086400");
    EXPECT_EQ(answer["not_before"], "1800000000");
    EXPECT_EQ(answer["resource"], "https://vault.azure.net");
    EXPECT_EQ(answer["token_type"], "Bearer");
    EXPECT_EQ(answer["client_id"], "cid");
    EXPECT_EQ(answer["object_id"], "oid");
}

TEST(TokenFetcher, NoCredentialsMeansNoCall) {
    auto slot = std::make_shared<azcm::himds::CredentialSlot>();
    const auto fetch = azcm::himds::makeIdentityServiceFetcher(nullptr, slot);
    const auto token = fetch("https://vault.azure.net");
    ASSERT_FALSE(token);
    EXPECT_NE(token.error().message.find("not connected"), std::string::npos);
}

TEST(TokenFetcher, FieldsOfTheWrongTypeOrRangeAreNamed) {
    const auto wrong_type =
        parseTokenReply(ServiceReply{200, json{{"access_token", 5}, {"expires_on", "1800086400"}}});
    ASSERT_FALSE(wrong_type);
    EXPECT_NE(wrong_type.error().message.find("field 'access_token'"), std::string::npos)
        << wrong_type.error().message;
    // Past 9999-12-31 the clock's nanosecond count overflows.
    for (const json& expires :
         {json("253402300800"), json(9223372036854775807LL), json(-5), json("17e8"), json(1.5)}) {
        const auto out_of_range = parseTokenReply(
            ServiceReply{200, json{{"access_token", "t"}, {"expires_on", expires}}});
        ASSERT_FALSE(out_of_range) << expires.dump();
        EXPECT_NE(out_of_range.error().message.find("field 'expires_on'"), std::string::npos)
            << out_of_range.error().message;
    }
    EXPECT_TRUE(parseTokenReply(
        ServiceReply{200, json{{"access_token", "t"}, {"expires_on", 1800086400}}}));
}

} // namespace
