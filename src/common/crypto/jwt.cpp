#include "common/crypto/jwt.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/openssl_util.hpp"
#include "common/json/json_document.hpp"

#include <openssl/core_names.h>

namespace azcm::crypto {

namespace {

using detail::BignumPtr;
using nlohmann::json;

Result<json> decodeJsonSegment(std::string_view segment, const char* what) {
    BOOST_OUTCOME_TRY(bytes, base64UrlDecode(segment));
    auto value = jsondoc::parse(bytes, std::string("JWT ") + what);
    if (!value) {
        return makeError(exitcode::kInvalidAccessToken, value.error().message);
    }
    if (!value.value().is_object()) {
        return makeError(exitcode::kInvalidAccessToken,
                         std::string("JWT ") + what + " is not a JSON object");
    }
    return std::move(value).value();
}

// NumericDate (RFC 7519 2): seconds since the epoch, possibly fractional. Compared as doubles so
// that far-future values ("never expires") cannot overflow a time_point.
Result<double> numericDate(const json& claims, const char* name) {
    const json& value = claims.at(name);
    if (!value.is_number()) {
        return makeError(exitcode::kInvalidAccessToken,
                         std::string("JWT claim ") + name + " is not a number");
    }
    return value.get<double>();
}

double epochSeconds(SystemTime time) {
    return std::chrono::duration<double>(time.time_since_epoch()).count();
}

Result<void> checkAudience(const json& claims, const std::vector<std::string>& audiences) {
    if (audiences.empty()) {
        return ok();
    }
    const auto accepted = [&](const json& value) {
        if (!value.is_string()) {
            return false;
        }
        const auto& text = value.get_ref<const std::string&>();
        for (const std::string& audience : audiences) {
            if (text == audience) {
                return true;
            }
        }
        return false;
    };
    if (claims.contains("aud")) {
        const json& aud = claims.at("aud");
        if (aud.is_string() && accepted(aud)) {
            return ok();
        }
        if (aud.is_array()) {
            for (const json& item : aud) {
                if (accepted(item)) {
                    return ok();
                }
            }
        }
    }
    return makeError(exitcode::kInvalidAccessToken, "JWT audience (aud) does not match");
}

Result<std::string> rsaParameter(EVP_PKEY* key, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
        return detail::opensslError(exitcode::kRsaKey, "cannot read RSA public key parameters");
    }
    BignumPtr number(raw);
    // BN_bn2bin writes the minimal big-endian form: no leading zero bytes (RFC 7518 6.3.1).
    return detail::bignumBytes(number.get());
}

} // namespace

Result<std::string>
signJwt(const json& claims, std::string_view private_key_pem, const json& extra_header) {
    if (!claims.is_object()) {
        return makeError(exitcode::kInvalidArgument, "JWT claims must be a JSON object");
    }
    json header = json::object();
    if (extra_header.is_object()) {
        header.update(extra_header);
    } else if (!extra_header.is_null()) {
        return makeError(exitcode::kInvalidArgument, "JWT header must be a JSON object");
    }
    header["alg"] = "RS256"; // the only algorithm this module signs with, whatever the caller adds
    if (!header.contains("typ")) {
        header["typ"] = "JWT";
    }
    const std::string signing_input =
        base64UrlEncode(header.dump()) + "." + base64UrlEncode(claims.dump());
    BOOST_OUTCOME_TRY(signature, signSha256(private_key_pem, signing_input));
    return signing_input + "." + base64UrlEncode(signature);
}

Result<JwtParts> decodeJwt(std::string_view token) {
    const std::size_t first = token.find('.');
    const std::size_t second =
        first == std::string_view::npos ? std::string_view::npos : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return makeError(exitcode::kInvalidAccessToken, "JWT must have exactly three parts");
    }
    JwtParts parts;
    BOOST_OUTCOME_TRY(header_value, decodeJsonSegment(token.substr(0, first), "header"));
    parts.header = std::move(header_value);
    BOOST_OUTCOME_TRY(claims_value,
                      decodeJsonSegment(token.substr(first + 1, second - first - 1), "claims"));
    parts.claims = std::move(claims_value);
    parts.signing_input = std::string(token.substr(0, second));
    auto signature = base64UrlDecode(token.substr(second + 1));
    if (!signature) {
        return makeError(exitcode::kInvalidAccessToken, "JWT signature is not base64url");
    }
    parts.signature = std::move(signature).value();
    return parts;
}

Result<json>
verifyJwt(std::string_view token, std::string_view public_key_pem, const JwtExpectations& expect) {
    BOOST_OUTCOME_TRY(parts, decodeJwt(token));
    const auto alg = parts.header.find("alg");
    // Only RS256: "none" and HMAC algorithms (keyed with the public key) are classic forgeries.
    if (alg == parts.header.end() || !alg->is_string() || alg->get<std::string>() != "RS256") {
        return makeError(exitcode::kInvalidAccessToken, "JWT algorithm must be RS256");
    }
    if (parts.header.contains("crit")) {
        return makeError(exitcode::kInvalidAccessToken,
                         "JWT critical header parameters unsupported");
    }
    if (!verifySha256(public_key_pem, parts.signing_input, parts.signature)) {
        return makeError(exitcode::kInvalidAccessToken, "JWT signature does not verify");
    }
    const json& claims = parts.claims;
    if (!claims.contains("exp")) {
        return makeError(exitcode::kInvalidAccessToken, "JWT has no expiry (exp)");
    }
    BOOST_OUTCOME_TRY(expires, numericDate(claims, "exp"));
    const double now = epochSeconds(expect.now);
    const auto leeway = static_cast<double>(expect.leeway.count());
    if (now > expires + leeway) {
        return makeError(exitcode::kInvalidAccessToken, "JWT has expired (exp)");
    }
    if (claims.contains("nbf")) {
        BOOST_OUTCOME_TRY(not_before, numericDate(claims, "nbf"));
        if (now + leeway < not_before) {
            return makeError(exitcode::kInvalidAccessToken, "JWT is not yet valid (nbf)");
        }
    }
    BOOST_OUTCOME_TRY(checkAudience(claims, expect.audiences));
    if (!expect.issuer.empty()) {
        const auto iss = claims.find("iss");
        if (iss == claims.end() || !iss->is_string() || iss->get<std::string>() != expect.issuer) {
            return makeError(exitcode::kInvalidAccessToken, "JWT issuer (iss) does not match");
        }
    }
    return claims;
}

Result<json> rsaPublicJwk(std::string_view public_key_or_cert_pem, std::string_view kid) {
    BOOST_OUTCOME_TRY(key, detail::loadPublicKey(public_key_or_cert_pem));
    if (EVP_PKEY_is_a(key.get(), "RSA") != 1) {
        return makeError(exitcode::kRsaKey, "JWK: the key is not an RSA key");
    }
    BOOST_OUTCOME_TRY(modulus, rsaParameter(key.get(), OSSL_PKEY_PARAM_RSA_N));
    BOOST_OUTCOME_TRY(exponent, rsaParameter(key.get(), OSSL_PKEY_PARAM_RSA_E));
    json jwk = {{"kty", "RSA"},
                {"n", base64UrlEncode(modulus)},
                {"e", base64UrlEncode(exponent)},
                {"kid", std::string(kid)},
                {"use", "sig"},
                {"alg", "RS256"}};
    if (public_key_or_cert_pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
        BOOST_OUTCOME_TRY(cert, detail::loadCertificatePem(public_key_or_cert_pem));
        const std::string der = detail::certificateDer(cert.get());
        jwk["x5t"] = base64UrlEncode(sha1(der));
        jwk["x5c"] = json::array({base64Encode(der)});
    }
    return jwk;
}

} // namespace azcm::crypto
