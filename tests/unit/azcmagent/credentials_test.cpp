#include "azcmagent/credentials.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/jwt.hpp"
#include "common/crypto/x509.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

using nlohmann::json;

CredentialOptions servicePrincipal() {
    CredentialOptions options;
    options.service_principal_id = "app-id";
    options.tenant_id = "tenant-1";
    return options;
}

TEST(Credential, SecretNeedsIdAndTenant) {
    auto options = servicePrincipal();
    options.service_principal_secret = "s";
    auto credential = resolveCredential(options);
    ASSERT_TRUE(credential);
    EXPECT_EQ(credential.value().kind, Credential::Kind::kSecret);

    options.tenant_id.clear();
    EXPECT_EQ(resolveCredential(options).error().code, exitcode::kMissingParameter);
    CredentialOptions secret_only;
    secret_only.service_principal_secret = "s";
    EXPECT_EQ(resolveCredential(secret_only).error().code, exitcode::kMissingParameter);
    EXPECT_EQ(resolveCredential(servicePrincipal()).error().code, exitcode::kMissingParameter);
    EXPECT_EQ(resolveCredential(CredentialOptions{}).error().code, exitcode::kMissingParameter);
}

TEST(Credential, ExactlyOneMethod) {
    auto options = servicePrincipal();
    options.service_principal_secret = "s";
    options.service_principal_cert = "/x.pem";
    EXPECT_EQ(resolveCredential(options).error().code, exitcode::kInvalidArgument);
    options.service_principal_cert.clear();
    options.access_token = "a.b.c";
    EXPECT_EQ(resolveCredential(options).error().code, exitcode::kInvalidArgument);
}

TEST(Credential, AccessTokenMustBeAJwt) {
    CredentialOptions options;
    options.access_token = "opaque";
    EXPECT_EQ(resolveCredential(options).error().code, exitcode::kInvalidAccessToken);
    options.access_token = "a.b.c";
    auto credential = resolveCredential(options);
    ASSERT_TRUE(credential);
    EXPECT_EQ(credential.value().kind, Credential::Kind::kAccessToken);
}

TEST(Credential, TenantFromAccessToken) {
    const auto token = crypto::base64UrlEncode(R"({"alg":"none"})") + "." +
                       crypto::base64UrlEncode(R"({"tid":"tenant-from-token"})") + ".sig";
    EXPECT_EQ(tenantOfAccessToken(token), "tenant-from-token");
    EXPECT_EQ(tenantOfAccessToken("x.y.z"), "");
}

TEST(Credential, CertificateFileLoadsOrIs23) {
    azcm::test::TempDir dir;
    const auto& pki = azcm::test::testPki();
    std::ofstream(dir.path() / "sp.pem") << pki.client_key_pem << pki.client_cert_pem;
    auto options = servicePrincipal();
    options.service_principal_cert = (dir.path() / "sp.pem").string();
    auto credential = resolveCredential(options);
    ASSERT_TRUE(credential) << credential.error().message;
    EXPECT_EQ(credential.value().kind, Credential::Kind::kCertificate);

    options.service_principal_cert = (dir.path() / "missing.pem").string();
    EXPECT_EQ(resolveCredential(options).error().code, exitcode::kInvalidArgument);
    std::ofstream(dir.path() / "cert-only.pem") << pki.client_cert_pem;
    options.service_principal_cert = (dir.path() / "cert-only.pem").string();
    EXPECT_EQ(resolveCredential(options).error().code, exitcode::kInvalidArgument);
}

TEST(ClientAssertion, ClaimsAndHeaderAsEntraExpects) {
    const auto& pki = azcm::test::testPki();
    const crypto::KeyAndCertificate material{pki.client_key_pem, pki.client_cert_pem};
    const std::string token_url = "https://login.example/tenant-1/oauth2/v2.0/token";
    const auto now = std::chrono::system_clock::now();
    auto assertion = makeClientAssertion(material, "app-id", token_url, now);
    ASSERT_TRUE(assertion) << assertion.error().message;

    crypto::JwtExpectations expect;
    expect.audiences = {token_url};
    expect.issuer = "app-id";
    auto claims = crypto::verifyJwt(assertion.value(), pki.client_cert_pem, expect);
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims.value().at("sub"), "app-id");
    EXPECT_EQ(claims.value().at("exp").get<long long>() - claims.value().at("nbf").get<long long>(),
              600);
    EXPECT_EQ(claims.value().at("jti").get<std::string>().size(), 36u);

    auto parts = crypto::decodeJwt(assertion.value());
    ASSERT_TRUE(parts);
    auto info = crypto::parseCertificatePem(pki.client_cert_pem);
    ASSERT_TRUE(info);
    EXPECT_EQ(parts.value().header.at("alg"), "RS256");
    EXPECT_EQ(parts.value().header.at("x5t"), info.value().thumbprint_sha1_b64url);
    EXPECT_EQ(parts.value().header.at("x5t#S256"), info.value().thumbprint_sha256_b64url);

    auto again = makeClientAssertion(material, "app-id", token_url, now);
    ASSERT_TRUE(again);
    EXPECT_NE(crypto::decodeJwt(again.value()).value().claims.at("jti"),
              claims.value().at("jti")); // a fresh jti every time
}

} // namespace
} // namespace azcm::azcmagent
