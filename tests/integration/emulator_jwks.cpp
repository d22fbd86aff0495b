#include "emulator_jwks.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/jwt.hpp"
#include "common/http/https_client.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

namespace azcm::test {

namespace {

using nlohmann::json;

template <auto Free> struct Deleter {
    template <class T> void operator()(T* object) const { Free(object); }
};
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;

json getJson(const json& cloud, const std::string& url) {
    http::ClientOptions options;
    options.ca_file = cloud.at("caCertPath").get<std::string>();
    options.retry.max_attempts = 1;
    auto response = http::HttpsClient(options).send({http::Verb::get, url, {}, {}});
    if (!response) {
        throw std::runtime_error("GET " + url + " failed: " + response.error().message);
    }
    if (response.value().result_int() != 200) {
        throw std::runtime_error("GET " + url + " returned " +
                                 std::to_string(response.value().result_int()));
    }
    return json::parse(response.value().body());
}

BignumPtr bignumFromBase64Url(const json& jwk, const char* member) {
    auto bytes = crypto::base64UrlDecode(jwk.at(member).get<std::string>());
    if (!bytes || bytes.value().empty()) {
        throw std::runtime_error(std::string("JWK member ") + member + " is not base64url");
    }
    const auto& raw = bytes.value();
    return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()),
                               static_cast<int>(raw.size()), nullptr));
}

// The PEM public key of an RSA JWK, from its modulus and exponent alone (no x5c needed).
std::string rsaPublicKeyPem(const json& jwk) {
    if (jwk.value("kty", "") != "RSA") {
        throw std::runtime_error("JWK is not an RSA key: " + jwk.dump());
    }
    const auto modulus = bignumFromBase64Url(jwk, "n");
    const auto exponent = bignumFromBase64Url(jwk, "e");
    const ParamBuildPtr build(OSSL_PARAM_BLD_new());
    if (!build || !modulus || !exponent ||
        OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
        throw std::runtime_error("cannot assemble the RSA parameters of the JWK");
    }
    const ParamsPtr params(OSSL_PARAM_BLD_to_param(build.get()));
    const PkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* raw_key = nullptr;
    if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
        EVP_PKEY_fromdata(context.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        throw std::runtime_error("the JWK is not a usable RSA public key");
    }
    const PkeyPtr key(raw_key);
    const BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
        throw std::runtime_error("cannot write the JWK's key as PEM");
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

} // namespace

json verifyEmulatorToken(const json& cloud, const std::string& token, const std::string& audience) {
    auto parts = crypto::decodeJwt(token);
    if (!parts) {
        throw std::runtime_error("not a JWT: " + parts.error().message);
    }
    const auto& header = parts.value().header;
    if (header.value("alg", "") != "RS256") {
        throw std::runtime_error("JWT alg is not RS256: " + header.dump());
    }
    const std::string kid = header.value("kid", "");
    const std::string tenant = cloud.at("tenantId").get<std::string>();
    const auto openid = getJson(cloud, cloud.at("endpoints").at("entra").get<std::string>() + "/" +
                                           tenant + "/v2.0/.well-known/openid-configuration");
    const auto jwks = getJson(cloud, openid.at("jwks_uri").get<std::string>());
    for (const auto& jwk : jwks.at("keys")) {
        if (jwk.value("kid", "") != kid) {
            continue;
        }
        crypto::JwtExpectations expectations;
        expectations.audiences = {audience};
        expectations.issuer = openid.at("issuer").get<std::string>();
        auto claims = crypto::verifyJwt(token, rsaPublicKeyPem(jwk), expectations);
        if (!claims) {
            throw std::runtime_error("JWT does not verify: " + claims.error().message);
        }
        return claims.value();
    }
    throw std::runtime_error("no key with kid '" + kid + "' in " + jwks.dump());
}

} // namespace azcm::test
