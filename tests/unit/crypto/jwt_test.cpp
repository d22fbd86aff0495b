// RS256 JWTs and JWKs.
#include "common/crypto/encoding.hpp"
#include "common/crypto/jwt.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/openssl_util.hpp"
#include "test_pki.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>

namespace azcm::crypto {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

long long epochSeconds(SystemTime time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

const std::string& key() {
    return test::testPki().client_key_pem;
}

const std::string& publicKey() {
    static const std::string pem = publicKeyPem(key()).value();
    return pem;
}

json validClaims(SystemTime now = std::chrono::system_clock::now()) {
    return {{"iss", "https://login.example/tenant/"},
            {"aud", "https://management.example/"},
            {"sub", "machine"},
            {"nbf", epochSeconds(now - 1min)},
            {"exp", epochSeconds(now + 1h)}};
}

JwtExpectations expectations() {
    JwtExpectations expect;
    expect.audiences = {"https://management.example/"};
    expect.issuer = "https://login.example/tenant/";
    return expect;
}

std::string sign(const json& claims) {
    auto token = signJwt(claims, key());
    EXPECT_TRUE(token) << token.error().message;
    return token ? token.value() : std::string();
}

// A token with an arbitrary header, signed (correctly) with the RS256 key.
std::string signWithHeader(const json& header, const json& claims) {
    const std::string input = base64UrlEncode(header.dump()) + "." + base64UrlEncode(claims.dump());
    return input + "." + base64UrlEncode(signSha256(key(), input).value());
}

TEST(Jwt, SignsAndVerifies) {
    const std::string token = sign(validClaims());
    auto claims = verifyJwt(token, publicKey(), expectations());
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims.value().at("sub"), "machine");
    // The certificate works as the verification key too.
    EXPECT_TRUE(verifyJwt(token, test::testPki().client_cert_pem, expectations()));
}

TEST(Jwt, HeaderIsRs256WithExtraFields) {
    auto token = signJwt(validClaims(), key(), {{"kid", "key-1"}, {"alg", "none"}, {"x5t", "abc"}});
    ASSERT_TRUE(token);
    auto parts = decodeJwt(token.value());
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts.value().header.at("alg"), "RS256"); // the caller cannot downgrade it
    EXPECT_EQ(parts.value().header.at("typ"), "JWT");
    EXPECT_EQ(parts.value().header.at("kid"), "key-1");
    EXPECT_EQ(parts.value().header.at("x5t"), "abc");
    EXPECT_EQ(parts.value().claims.at("sub"), "machine");
    EXPECT_EQ(parts.value().signature.size(), 256U);
    EXPECT_EQ(token.value().substr(0, token.value().rfind('.')), parts.value().signing_input);
    EXPECT_TRUE(verifySha256(publicKey(), parts.value().signing_input, parts.value().signature));
}

TEST(Jwt, DecodeRejectsMalformedTokens) {
    EXPECT_FALSE(decodeJwt("a.b"));
    EXPECT_FALSE(decodeJwt("a.b.c.d"));
    EXPECT_FALSE(decodeJwt(""));
    EXPECT_FALSE(decodeJwt(base64UrlEncode("[1]") + "." + base64UrlEncode("{}") + "."));
    EXPECT_FALSE(decodeJwt(base64UrlEncode("{}") + "." + base64UrlEncode("{") + "."));
    EXPECT_FALSE(decodeJwt(base64UrlEncode("{}") + "." + base64UrlEncode("{}") + ".*"));
}

TEST(Jwt, RejectsTamperedPayload) {
    const std::string token = sign(validClaims());
    json claims = validClaims();
    claims["sub"] = "attacker";
    const std::size_t first = token.find('.');
    const std::size_t second = token.find('.', first + 1);
    const std::string tampered =
        token.substr(0, first + 1) + base64UrlEncode(claims.dump()) + token.substr(second);
    auto result = verifyJwt(tampered, publicKey(), expectations());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("signature"), std::string::npos);
}

TEST(Jwt, RejectsOtherKey) {
    const std::string token = sign(validClaims());
    EXPECT_FALSE(verifyJwt(token, test::testPki().server_cert_pem, expectations()));
}

TEST(Jwt, RejectsAlgNoneAndOtherAlgorithms) {
    const json claims = validClaims();
    const std::string none = base64UrlEncode(json{{"alg", "none"}, {"typ", "JWT"}}.dump()) + "." +
                             base64UrlEncode(claims.dump()) + ".";
    auto result = verifyJwt(none, publicKey(), expectations());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("RS256"), std::string::npos);
    // Even with a valid RSA signature, a header claiming another algorithm is refused.
    for (const char* alg : {"HS256", "RS512", "PS256", "rs256"}) {
        EXPECT_FALSE(verifyJwt(signWithHeader({{"alg", alg}}, claims), publicKey(), expectations()))
            << alg;
    }
    EXPECT_FALSE(verifyJwt(signWithHeader({{"typ", "JWT"}}, claims), publicKey(), expectations()));
    EXPECT_TRUE(verifyJwt(signWithHeader({{"alg", "RS256"}}, claims), publicKey(), expectations()));
    EXPECT_FALSE(verifyJwt(signWithHeader({{"alg", "RS256"}, {"crit", {"exp"}}}, claims),
                           publicKey(), expectations()));
}

TEST(Jwt, RejectsExpiredWithLeeway) {
    const auto now = std::chrono::system_clock::now();
    json claims = validClaims(now);
    claims["exp"] = epochSeconds(now - 2min);
    auto result = verifyJwt(sign(claims), publicKey(), expectations());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("expired"), std::string::npos);
    claims["exp"] = epochSeconds(now - 30s); // within the default 60 s leeway
    EXPECT_TRUE(verifyJwt(sign(claims), publicKey(), expectations()));
    JwtExpectations strict = expectations();
    strict.leeway = 0s;
    EXPECT_FALSE(verifyJwt(sign(claims), publicKey(), strict));
    claims.erase("exp");
    EXPECT_FALSE(verifyJwt(sign(claims), publicKey(), expectations()));
    claims["exp"] = "tomorrow";
    EXPECT_FALSE(verifyJwt(sign(claims), publicKey(), expectations()));
}

TEST(Jwt, AcceptsFarFutureExpiry) {
    json claims = validClaims();
    claims["exp"] = 253402300799LL; // 9999-12-31: must not overflow the clock arithmetic
    EXPECT_TRUE(verifyJwt(sign(claims), publicKey(), expectations()));
    claims["exp"] = 1.5e300;
    EXPECT_TRUE(verifyJwt(sign(claims), publicKey(), expectations()));
    claims["exp"] = -1.5e300;
    EXPECT_FALSE(verifyJwt(sign(claims), publicKey(), expectations()));
}

TEST(Jwt, UsesTheGivenTime) {
    const auto now = std::chrono::system_clock::now();
    const std::string token = sign(validClaims(now));
    JwtExpectations later = expectations();
    later.now = now + 2h;
    EXPECT_FALSE(verifyJwt(token, publicKey(), later));
}

TEST(Jwt, RejectsNotYetValid) {
    const auto now = std::chrono::system_clock::now();
    json claims = validClaims(now);
    claims["nbf"] = epochSeconds(now + 5min);
    auto result = verifyJwt(sign(claims), publicKey(), expectations());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("not yet valid"), std::string::npos);
    claims["nbf"] = epochSeconds(now + 30s); // within leeway
    EXPECT_TRUE(verifyJwt(sign(claims), publicKey(), expectations()));
}

TEST(Jwt, ChecksAudienceAsStringOrArray) {
    json claims = validClaims();
    claims["aud"] = "https://other.example/";
    auto result = verifyJwt(sign(claims), publicKey(), expectations());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("aud"), std::string::npos);
    claims["aud"] = json::array({"https://other.example/", "https://management.example/"});
    EXPECT_TRUE(verifyJwt(sign(claims), publicKey(), expectations()));
    claims["aud"] = json::array({"https://other.example/"});
    EXPECT_FALSE(verifyJwt(sign(claims), publicKey(), expectations()));
    claims.erase("aud");
    EXPECT_FALSE(verifyJwt(sign(claims), publicKey(), expectations()));
    JwtExpectations any_audience = expectations();
    any_audience.audiences.clear();
    EXPECT_TRUE(verifyJwt(sign(claims), publicKey(), any_audience));
    // One of several accepted audiences is enough.
    claims["aud"] = "api://second";
    JwtExpectations several = expectations();
    several.audiences.push_back("api://second");
    EXPECT_TRUE(verifyJwt(sign(claims), publicKey(), several));
}

TEST(Jwt, ChecksIssuerWhenGiven) {
    json claims = validClaims();
    claims["iss"] = "https://evil.example/";
    auto result = verifyJwt(sign(claims), publicKey(), expectations());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("iss"), std::string::npos);
    JwtExpectations no_issuer = expectations();
    no_issuer.issuer.clear();
    EXPECT_TRUE(verifyJwt(sign(claims), publicKey(), no_issuer));
}

std::string rsaParameter(const std::string& pem, const char* name) {
    auto pkey = detail::loadPublicKey(pem).value();
    BIGNUM* number = nullptr;
    EXPECT_EQ(EVP_PKEY_get_bn_param(pkey.get(), name, &number), 1);
    std::string bytes = detail::bignumBytes(number);
    BN_free(number);
    return bytes;
}

TEST(Jwk, CarriesModulusAndExponentOfTheKey) {
    auto jwk = rsaPublicJwk(publicKey(), "kid-1");
    ASSERT_TRUE(jwk) << jwk.error().message;
    const json& value = jwk.value();
    EXPECT_EQ(value.at("kty"), "RSA");
    EXPECT_EQ(value.at("kid"), "kid-1");
    EXPECT_EQ(value.at("use"), "sig");
    EXPECT_EQ(value.at("alg"), "RS256");
    EXPECT_EQ(value.at("e"), "AQAB"); // 65537
    const std::string n = base64UrlDecode(value.at("n").get<std::string>()).value();
    EXPECT_EQ(n.size(), 256U);
    EXPECT_NE(n[0], '\0'); // no leading zero byte
    EXPECT_EQ(n, rsaParameter(publicKey(), OSSL_PKEY_PARAM_RSA_N));
    EXPECT_FALSE(value.contains("x5t"));
    EXPECT_FALSE(value.contains("x5c"));
}

TEST(Jwk, WithCertificateCarriesX5tAndX5c) {
    const auto& pki = test::testPki();
    auto jwk = rsaPublicJwk(pki.client_cert_pem, "kid-2");
    ASSERT_TRUE(jwk) << jwk.error().message;
    const auto info = parseCertificatePem(pki.client_cert_pem).value();
    EXPECT_EQ(jwk.value().at("x5t"), base64UrlEncode(sha1(info.der)));
    ASSERT_EQ(jwk.value().at("x5c").size(), 1U);
    EXPECT_EQ(jwk.value().at("x5c")[0], base64Encode(info.der));
    EXPECT_EQ(jwk.value().at("n"), rsaPublicJwk(publicKey(), "k").value().at("n"));
    EXPECT_FALSE(rsaPublicJwk("garbage", "k"));
}

} // namespace
} // namespace azcm::crypto
