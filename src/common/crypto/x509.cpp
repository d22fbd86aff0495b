#include "common/crypto/x509.hpp"

#include "common/crypto/chain_verify.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/openssl_util.hpp"
#include "common/utc_time.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <openssl/x509v3.h>

namespace azcm::crypto {

namespace {

using detail::BignumPtr;
using detail::BioPtr;
using detail::PkeyPtr;
using detail::X509Ptr;
using Asn1IntegerPtr = detail::OsslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1OctetStringPtr = detail::OsslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using GeneralNamesPtr = detail::OsslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using GeneralNamePtr = detail::OsslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using Ia5StringPtr = detail::OsslPtr<ASN1_IA5STRING, ASN1_IA5STRING_free>;
using ExtensionPtr = detail::OsslPtr<X509_EXTENSION, X509_EXTENSION_free>;

struct X509StackFree {
    void operator()(STACK_OF(X509) * stack) const { sk_X509_pop_free(stack, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

constexpr int kSerialBytes = 16; // 128 bits

std::string upperHex(std::string_view bytes) {
    std::string hex = hexEncode(bytes);
    for (char& ch : hex) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    return hex;
}

Result<SystemTime> toSystemTime(const ASN1_TIME* time) {
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
        return makeError(exitcode::kInvalidArgument, "certificate has an invalid validity time");
    }
    // system_clock counts nanoseconds in 64 bits (years 1678-2262): RFC 5280's "no expiry" value
    // 99991231235959Z and other far dates are clamped rather than overflowed.
    using std::chrono::seconds;
    const auto max_seconds =
        std::chrono::duration_cast<seconds>(SystemTime::max().time_since_epoch()).count();
    const auto min_seconds =
        std::chrono::duration_cast<seconds>(SystemTime::min().time_since_epoch()).count();
    const auto value = static_cast<long long>(unixSecondsOfUtc(tm));
    const long long clamped = std::clamp<long long>(value, min_seconds, max_seconds);
    return SystemTime(std::chrono::duration_cast<SystemTime::duration>(seconds(clamped)));
}

// Hex of the serial as a signed integer ("-" prefix when negative), upper case like OpenSSL's
// and Windows' tools show it.
std::string serialHex(const ASN1_INTEGER* serial) {
    BignumPtr number(ASN1_INTEGER_to_BN(serial, nullptr));
    if (!number) {
        ERR_clear_error();
        return {};
    }
    char* hex = BN_bn2hex(number.get());
    if (hex == nullptr) {
        return {};
    }
    std::string text(hex);
    OPENSSL_free(hex);
    return text;
}

Result<CertificateInfo> describe(X509* cert) {
    CertificateInfo info;
    info.der = detail::certificateDer(cert);
    if (info.der.empty()) {
        return detail::opensslError(exitcode::kInvalidArgument, "cannot encode certificate");
    }
    info.subject_common_name = detail::commonNameOf(X509_get_subject_name(cert));
    info.issuer_common_name = detail::commonNameOf(X509_get_issuer_name(cert));
    info.serial_hex = serialHex(X509_get0_serialNumber(cert));
    const std::string sha1_digest = sha1(info.der);
    info.thumbprint_sha1_hex = upperHex(sha1_digest);
    info.thumbprint_sha1_b64url = base64UrlEncode(sha1_digest);
    info.thumbprint_sha256_b64url = base64UrlEncode(sha256(info.der));
    BOOST_OUTCOME_TRY(not_before_value, toSystemTime(X509_get0_notBefore(cert)));
    info.not_before = not_before_value;
    BOOST_OUTCOME_TRY(not_after_value, toSystemTime(X509_get0_notAfter(cert)));
    info.not_after = not_after_value;
    unsigned char* spki = nullptr;
    const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki);
    if (length <= 0) {
        return detail::opensslError(exitcode::kInvalidArgument, "cannot encode the public key");
    }
    info.public_key_der.assign(reinterpret_cast<const char*>(spki),
                               static_cast<std::size_t>(length));
    OPENSSL_free(spki);
    return info;
}

Result<X509StackPtr> readCertificates(std::string_view pem) {
    X509StackPtr stack(sk_X509_new_null());
    if (!stack) {
        return detail::opensslError(exitcode::kInternal, "out of memory");
    }
    auto bio = detail::memoryBio(pem);
    for (;;) {
        ERR_clear_error();
        X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!cert) {
            // PEM_R_NO_START_LINE at the end of the input is the normal way out of the loop.
            if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break;
            }
            return detail::opensslError(exitcode::kInvalidArgument, "malformed certificate PEM");
        }
        if (sk_X509_push(stack.get(), cert.get()) == 0) {
            return detail::opensslError(exitcode::kInternal, "out of memory");
        }
        static_cast<void>(cert.release()); // owned by the stack now
    }
    if (sk_X509_num(stack.get()) == 0) {
        return makeError(exitcode::kInvalidArgument, "no certificate found in the PEM");
    }
    return stack;
}

// DNS names go into the certificate verbatim: letters, digits, '-', '.', and a leading "*." only.
bool isValidDnsName(std::string_view name) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    if (name.substr(0, 2) == "*.") {
        name.remove_prefix(2);
    }
    for (const char ch : name) {
        if (std::isalnum(static_cast<unsigned char>(ch)) == 0 && ch != '-' && ch != '.') {
            return false;
        }
    }
    return !name.empty() && name.front() != '.' && name.back() != '.';
}

Result<void> addSubjectAltNames(X509* cert, const IssueRequest& request) {
    GeneralNamesPtr names(GENERAL_NAMES_new());
    if (!names) {
        return detail::opensslError(exitcode::kInternal, "out of memory");
    }
    for (const std::string& dns : request.dns_names) {
        if (!isValidDnsName(dns)) {
            return makeError(exitcode::kInvalidArgument, "invalid DNS name for SAN: " + dns);
        }
        Ia5StringPtr value(ASN1_IA5STRING_new());
        GeneralNamePtr name(GENERAL_NAME_new());
        if (!value || !name ||
            ASN1_STRING_set(value.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
            return detail::opensslError(exitcode::kInternal, "cannot build DNS SAN");
        }
        GENERAL_NAME_set0_value(name.get(), GEN_DNS, value.release());
        if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
            return detail::opensslError(exitcode::kInternal, "out of memory");
        }
        static_cast<void>(name.release()); // owned by the name list now
    }
    for (const std::string& ip : request.ip_addresses) {
        Asn1OctetStringPtr value(a2i_IPADDRESS(ip.c_str()));
        if (!value) {
            ERR_clear_error();
            return makeError(exitcode::kInvalidArgument, "invalid IP address for SAN: " + ip);
        }
        GeneralNamePtr name(GENERAL_NAME_new());
        if (!name) {
            return detail::opensslError(exitcode::kInternal, "out of memory");
        }
        GENERAL_NAME_set0_value(name.get(), GEN_IPADD, value.release());
        if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
            return detail::opensslError(exitcode::kInternal, "out of memory");
        }
        static_cast<void>(name.release()); // owned by the name list now
    }
    if (sk_GENERAL_NAME_num(names.get()) == 0) {
        return ok();
    }
    if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
        return detail::opensslError(exitcode::kInternal, "cannot add subjectAltName");
    }
    return ok();
}

// Extensions whose values are fixed strings (no caller input reaches the config syntax).
Result<void> addExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
    if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
        return detail::opensslError(exitcode::kInternal,
                                    std::string("cannot add extension ") + OBJ_nid2sn(nid));
    }
    return ok();
}

Result<void> setRandomSerial(X509* cert) {
    std::string bytes;
    do {
        bytes = randomBytes(kSerialBytes);
        bytes[0] = static_cast<char>(static_cast<unsigned char>(bytes[0]) & 0x7f); // positive
    } while (bytes.find_first_not_of('\0') == std::string::npos);                  // never zero
    BignumPtr number(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()), nullptr));
    Asn1IntegerPtr serial(number ? BN_to_ASN1_INTEGER(number.get(), nullptr) : nullptr);
    if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) {
        return detail::opensslError(exitcode::kInternal, "cannot set serial number");
    }
    return ok();
}

Result<void> setValidity(X509* cert, SystemTime not_before, std::chrono::seconds lifetime) {
    constexpr std::chrono::hours kMaxLifetime{24 * 366 * 100};
    if (lifetime <= std::chrono::seconds::zero() || lifetime > kMaxLifetime) {
        return makeError(exitcode::kInvalidArgument,
                         "certificate lifetime must be positive and at most 100 years");
    }
    const std::time_t start = std::chrono::system_clock::to_time_t(not_before);
    const std::time_t end = std::chrono::system_clock::to_time_t(not_before + lifetime);
    if (ASN1_TIME_set(X509_getm_notBefore(cert), start) == nullptr ||
        ASN1_TIME_set(X509_getm_notAfter(cert), end) == nullptr) {
        return detail::opensslError(exitcode::kInternal, "cannot set validity");
    }
    return ok();
}

struct Issuer {
    X509* certificate = nullptr; // nullptr: self-signed
    EVP_PKEY* key = nullptr;
};

Result<std::string>
buildCertificate(const Issuer& issuer, EVP_PKEY* subject_key, const IssueRequest& request) {
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
        return detail::opensslError(exitcode::kInternal, "cannot create certificate");
    }
    BOOST_OUTCOME_TRY(setRandomSerial(cert.get()));
    BOOST_OUTCOME_TRY(setValidity(cert.get(), request.not_before, request.lifetime));
    if (request.subject_common_name.empty()) {
        return makeError(exitcode::kInvalidArgument, "certificate common name is empty");
    }
    X509_NAME* subject = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_NID(
            subject, NID_commonName, MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(request.subject_common_name.c_str()),
            static_cast<int>(request.subject_common_name.size()), -1, 0) != 1) {
        return detail::opensslError(exitcode::kInvalidArgument,
                                    "invalid common name (at most 64 characters)");
    }
    X509* issuer_cert = issuer.certificate != nullptr ? issuer.certificate : cert.get();
    if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1 ||
        X509_set_pubkey(cert.get(), subject_key) != 1) {
        return detail::opensslError(exitcode::kInternal, "cannot set issuer or public key");
    }

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer_cert, cert.get(), nullptr, nullptr, 0);
    // The subject key identifier first: for a self-signed CA the authority key identifier is
    // copied from it.
    BOOST_OUTCOME_TRY(addExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
    BOOST_OUTCOME_TRY(addExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
    const bool is_ca = request.usage == CertificateUsage::kCa;
    BOOST_OUTCOME_TRY(addExtension(cert.get(), &ctx, NID_basic_constraints,
                                   is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
    BOOST_OUTCOME_TRY(addExtension(cert.get(), &ctx, NID_key_usage,
                                   is_ca ? "critical,keyCertSign,cRLSign"
                                         : "critical,digitalSignature,keyEncipherment"));
    if (!is_ca) {
        BOOST_OUTCOME_TRY(
            addExtension(cert.get(), &ctx, NID_ext_key_usage,
                         request.usage == CertificateUsage::kServer ? "serverAuth" : "clientAuth"));
    }
    BOOST_OUTCOME_TRY(addSubjectAltNames(cert.get(), request));

    if (X509_sign(cert.get(), issuer.key, EVP_sha256()) <= 0) {
        return detail::opensslError(exitcode::kInternal, "cannot sign certificate");
    }
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
        return detail::opensslError(exitcode::kInternal, "cannot write certificate PEM");
    }
    return detail::bioContents(bio.get());
}

} // namespace

Result<CertificateInfo> parseCertificatePem(std::string_view pem) {
    BOOST_OUTCOME_TRY(cert, detail::loadCertificatePem(pem));
    return describe(cert.get());
}

Result<CertificateInfo> parseCertificateDer(std::string_view der) {
    ERR_clear_error();
    const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
    X509Ptr cert(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
    if (!cert) {
        return detail::opensslError(exitcode::kInvalidArgument, "cannot read certificate DER");
    }
    if (cursor != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
        return makeError(exitcode::kInvalidArgument, "trailing bytes after certificate DER");
    }
    return describe(cert.get());
}

Result<std::vector<std::string>> splitPemCertificates(std::string_view pem) {
    BOOST_OUTCOME_TRY(stack, readCertificates(pem));
    const int count = sk_X509_num(stack.get());
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        out.push_back(derToPem(detail::certificateDer(sk_X509_value(stack.get(), i))));
    }
    return out;
}

std::string derToPem(std::string_view der) {
    const std::string body = base64Encode(der);
    std::string pem = "-----BEGIN CERTIFICATE-----\n";
    for (std::size_t i = 0; i < body.size(); i += 64) {
        pem += body.substr(i, 64);
        pem += '\n';
    }
    pem += "-----END CERTIFICATE-----\n";
    return pem;
}

Result<std::string> issueCertificatePem(std::string_view ca_certificate_pem,
                                        std::string_view ca_private_key_pem,
                                        const IssueRequest& request) {
    BOOST_OUTCOME_TRY(ca_cert, detail::loadCertificatePem(ca_certificate_pem));
    BOOST_OUTCOME_TRY(ca_key, detail::loadPrivateKey(ca_private_key_pem));
    if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
        ERR_clear_error();
        return makeError(exitcode::kInvalidArgument,
                         "the CA key does not match the CA certificate");
    }
    const auto* cursor =
        reinterpret_cast<const unsigned char*>(request.subject_public_key_der.data());
    PkeyPtr subject_key(
        d2i_PUBKEY(nullptr, &cursor, static_cast<long>(request.subject_public_key_der.size())));
    if (!subject_key) {
        return detail::opensslError(exitcode::kInvalidArgument,
                                    "invalid subject public key (SubjectPublicKeyInfo DER)");
    }
    return buildCertificate(Issuer{ca_cert.get(), ca_key.get()}, subject_key.get(), request);
}

Result<std::string> createSelfSignedCaPem(std::string_view private_key_pem,
                                          std::string_view common_name,
                                          std::chrono::seconds lifetime) {
    BOOST_OUTCOME_TRY(key, detail::loadPrivateKey(private_key_pem));
    IssueRequest request;
    request.subject_common_name = std::string(common_name);
    request.usage = CertificateUsage::kCa;
    request.lifetime = lifetime;
    return buildCertificate(Issuer{nullptr, key.get()}, key.get(), request);
}

Result<void> verifyCertificateChain(std::string_view chain_pem,
                                    std::string_view trust_pem,
                                    SystemTime at,
                                    std::string_view host) {
    BOOST_OUTCOME_TRY(chain, readCertificates(chain_pem));
    BOOST_OUTCOME_TRY(anchors, readCertificates(trust_pem));
    X509* leaf = sk_X509_value(chain.get(), 0);
    X509StackPtr untrusted(sk_X509_new_null());
    if (!untrusted) {
        return detail::opensslError(exitcode::kInternal, "out of memory");
    }
    for (int i = 1; i < sk_X509_num(chain.get()); ++i) {
        X509* cert = sk_X509_value(chain.get(), i);
        if (X509_up_ref(cert) != 1) {
            return detail::opensslError(exitcode::kInternal, "cannot reference certificate");
        }
        if (sk_X509_push(untrusted.get(), cert) == 0) {
            X509_free(cert);
            return detail::opensslError(exitcode::kInternal, "out of memory");
        }
    }
    detail::ChainCheck check;
    // X509_STRICT: RFC 5280 profile checks (key identifiers, basicConstraints on CAs, ...).
    // PARTIAL_CHAIN: every certificate the caller trusts is an anchor, self-signed or not.
    check.flags = X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN;
    check.at = at;
    check.host = std::string(host);
    return detail::verifyChain(leaf, untrusted.get(), anchors.get(), check);
}

} // namespace azcm::crypto
