// Request hygiene of the IMDS API: one row per rule (docs/imds.md).
#include "himds/imds_request.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using azcm::himds::ImdsCall;
using azcm::himds::ImdsFailure;
using azcm::himds::ImdsRoute;
using azcm::himds::parseImdsRequest;
using azcm::http::Request;
using azcm::http::Status;
using azcm::http::Verb;

constexpr const char* kToken =
    "/metadata/identity/oauth2/token?api-version=2019-11-01&resource=https%3A%2F%2Fvault.azure.net";

struct HygieneCase {
    const char* name;
    Verb verb;
    const char* target;
    std::vector<std::pair<std::string, std::string>> headers;
    Status status;
    const char* error;
    const char* description_contains;
};

Request makeRequest(const HygieneCase& row) {
    Request request{row.verb, row.target, 11};
    for (const auto& [name, value] : row.headers) {
        request.insert(name, value);
    }
    return request;
}

class HygieneTest : public ::testing::TestWithParam<HygieneCase> {};

TEST_P(HygieneTest, RefusedWithTheImdsErrorShape) {
    const auto& row = GetParam();
    const auto parsed = parseImdsRequest(makeRequest(row));
    ASSERT_TRUE(std::holds_alternative<ImdsFailure>(parsed)) << row.name;
    const auto& failure = std::get<ImdsFailure>(parsed);
    EXPECT_EQ(failure.status, row.status);
    EXPECT_EQ(failure.error, row.error);
    EXPECT_NE(failure.description.find(row.description_contains), std::string::npos)
        << failure.description;

    const auto response = azcm::himds::imdsErrorResponse(makeRequest(row), failure);
    EXPECT_EQ(response.result(), row.status);
    const auto body = nlohmann::json::parse(response.body());
    EXPECT_EQ(body["error"], row.error);
    EXPECT_EQ(body["error_description"], failure.description);
    if (row.status == Status::method_not_allowed) {
        EXPECT_EQ(response[azcm::http::Field::allow], "GET");
    }
}

const std::pair<std::string, std::string> kMetadataHeader{"Metadata", "true"};

INSTANTIATE_TEST_SUITE_P(
    Rules,
    HygieneTest,
    ::testing::Values(
        HygieneCase{"no_metadata_header",
                    Verb::get,
                    kToken,
                    {},
                    Status::bad_request,
                    "invalid_request",
                    "Required metadata header not specified"},
        HygieneCase{"metadata_false",
                    Verb::get,
                    kToken,
                    {{"Metadata", "false"}},
                    Status::bad_request,
                    "invalid_request",
                    "metadata header"},
        HygieneCase{"metadata_twice",
                    Verb::get,
                    kToken,
                    {kMetadataHeader, kMetadataHeader},
                    Status::bad_request,
                    "invalid_request",
                    "once"},
        HygieneCase{"forwarded",
                    Verb::get,
                    kToken,
                    {kMetadataHeader, {"X-Forwarded-For", "10.0.0.1"}},
                    Status::bad_request,
                    "invalid_request",
                    "X-Forwarded-For"},
        HygieneCase{"forwarded_empty",
                    Verb::get,
                    kToken,
                    {kMetadataHeader, {"X-Forwarded-For", ""}},
                    Status::bad_request,
                    "invalid_request",
                    "X-Forwarded-For"},
        HygieneCase{"forwarded_without_metadata",
                    Verb::get,
                    kToken,
                    {{"x-forwarded-for", "127.0.0.1"}},
                    Status::bad_request,
                    "invalid_request",
                    "X-Forwarded-For"},
        HygieneCase{"post",
                    Verb::post,
                    kToken,
                    {kMetadataHeader},
                    Status::method_not_allowed,
                    "method_not_allowed",
                    "Only GET"},
        HygieneCase{"put",
                    Verb::put,
                    "/metadata/instance?api-version=2020-06-01",
                    {kMetadataHeader},
                    Status::method_not_allowed,
                    "method_not_allowed",
                    "Only GET"},
        HygieneCase{"delete",
                    Verb::delete_,
                    kToken,
                    {kMetadataHeader},
                    Status::method_not_allowed,
                    "method_not_allowed",
                    "Only GET"},
        HygieneCase{"unknown_path",
                    Verb::get,
                    "/metadata/nothing?api-version=2020-06-01",
                    {kMetadataHeader},
                    Status::not_found,
                    "not_found",
                    "does not exist"},
        HygieneCase{"root",
                    Verb::get,
                    "/",
                    {kMetadataHeader},
                    Status::not_found,
                    "not_found",
                    "does not exist"},
        HygieneCase{"identity_base",
                    Verb::get,
                    "/metadata/identity?api-version=2019-11-01",
                    {kMetadataHeader},
                    Status::not_found,
                    "not_found",
                    "does not exist"},
        HygieneCase{"traversal",
                    Verb::get,
                    "/metadata/instance/../identity?api-version=2020-06-01",
                    {kMetadataHeader},
                    Status::not_found,
                    "not_found",
                    "does not exist"},
        HygieneCase{"encoded_subpath",
                    Verb::get,
                    "/metadata/instance/compute%2Fname?api-version=2020-06-01",
                    {kMetadataHeader},
                    Status::not_found,
                    "not_found",
                    "does not exist"},
        HygieneCase{"instance_prefix_only",
                    Verb::get,
                    "/metadata/instancex?api-version=2020-06-01",
                    {kMetadataHeader},
                    Status::not_found,
                    "not_found",
                    "does not exist"},
        HygieneCase{"duplicate_key",
                    Verb::get,
                    "/metadata/instance?api-version=2020-06-01&api-version=2021-02-01",
                    {kMetadataHeader},
                    Status::bad_request,
                    "invalid_request",
                    "Invalid query"},
        HygieneCase{"duplicate_resource",
                    Verb::get,
                    "/metadata/identity/oauth2/token?api-version=2019-11-01&resource=a&resource=b",
                    {kMetadataHeader},
                    Status::bad_request,
                    "invalid_request",
                    "Invalid query"},
        HygieneCase{"bad_escape",
                    Verb::get,
                    "/metadata/instance?api-version=%zz",
                    {kMetadataHeader},
                    Status::bad_request,
                    "invalid_request",
                    "Invalid query"},
        HygieneCase{"missing_api_version_token",
                    Verb::get,
                    "/metadata/identity/oauth2/token?resource=x",
                    {kMetadataHeader},
                    Status::bad_request,
                    "invalid_request",
                    "Supported are 2018-02-01 2019-08-01 2019-11-01 2020-06-01 2021-02-01"},
        HygieneCase{"missing_api_version_instance",
                    Verb::get,
                    "/metadata/instance",
                    {kMetadataHeader},
                    Status::bad_request,
                    "invalid_request",
                    "Supported are 2020-06-01 2020-09-01 2021-01-01 2021-02-01"},
        HygieneCase{"empty_api_version",
                    Verb::get,
                    "/metadata/instance?api-version=",
                    {kMetadataHeader},
                    Status::bad_request,
                    "invalid_request",
                    "Supported are"},
        HygieneCase{"unknown_api_version",
                    Verb::get,
                    "/metadata/instance?api-version=2017-04-02",
                    {kMetadataHeader},
                    Status::bad_request,
                    "invalid_request",
                    "Supported are 2020-06-01"},
        HygieneCase{"token_version_on_instance",
                    Verb::get,
                    "/metadata/instance?api-version=2019-11-01",
                    {kMetadataHeader},
                    Status::bad_request,
                    "invalid_request",
                    "Invalid version"}),
    [](const ::testing::TestParamInfo<HygieneCase>& row) { return row.param.name; });

struct AcceptedCase {
    const char* name;
    const char* target;
    ImdsRoute route;
    const char* subpath;
    const char* api_version;
};

class AcceptedTest : public ::testing::TestWithParam<AcceptedCase> {};

TEST_P(AcceptedTest, RoutedWithItsQuery) {
    const auto& row = GetParam();
    Request request{Verb::get, row.target, 11};
    request.set("Metadata", "True");
    const auto parsed = parseImdsRequest(request);
    ASSERT_TRUE(std::holds_alternative<ImdsCall>(parsed))
        << std::get<ImdsFailure>(parsed).description;
    const auto& call = std::get<ImdsCall>(parsed);
    EXPECT_EQ(call.route, row.route);
    EXPECT_EQ(call.subpath, row.subpath);
    EXPECT_EQ(call.api_version, row.api_version);
}

INSTANTIATE_TEST_SUITE_P(
    Routes,
    AcceptedTest,
    ::testing::Values(
        AcceptedCase{"token_2019", kToken, ImdsRoute::kToken, "", "2019-11-01"},
        AcceptedCase{"token_2020",
                     "/metadata/identity/oauth2/token?api-version=2020-06-01&resource=x",
                     ImdsRoute::kToken, "", "2020-06-01"},
        AcceptedCase{"token_2021",
                     "/metadata/identity/oauth2/token?resource=x&api-version=2021-02-01",
                     ImdsRoute::kToken, "", "2021-02-01"},
        AcceptedCase{"instance", "/metadata/instance?api-version=2020-06-01", ImdsRoute::kInstance,
                     "", "2020-06-01"},
        AcceptedCase{"instance_slash", "/metadata/instance/?api-version=2021-02-01",
                     ImdsRoute::kInstance, "", "2021-02-01"},
        AcceptedCase{"compute", "/metadata/instance/compute?api-version=2021-02-01",
                     ImdsRoute::kInstance, "compute", "2021-02-01"},
        AcceptedCase{"leaf", "/metadata/instance/compute/vmId/?api-version=2020-06-01&format=text",
                     ImdsRoute::kInstance, "compute/vmId", "2020-06-01"},
        AcceptedCase{"versions", "/metadata/versions", ImdsRoute::kVersions, "", ""}),
    [](const ::testing::TestParamInfo<AcceptedCase>& row) { return row.param.name; });

TEST(ImdsRequest, SupportedSentenceIsSpaceSeparated) {
    EXPECT_EQ(azcm::himds::supportedSentence(azcm::himds::supportedInstanceApiVersions()),
              "Supported are 2020-06-01 2020-09-01 2021-01-01 2021-02-01");
}

} // namespace
