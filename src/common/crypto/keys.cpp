#include "common/crypto/keys.hpp"

#include "common/crypto/openssl_util.hpp"

#include <vector>

#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

namespace azcm::crypto {

namespace {

using detail::BioPtr;
using detail::MdCtxPtr;
using detail::PkeyCtxPtr;
using detail::PkeyPtr;
using detail::X509Ptr;
using X509ReqPtr = detail::OsslPtr<X509_REQ, X509_REQ_free>;
using Pkcs12Ptr = detail::OsslPtr<PKCS12, PKCS12_free>;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;

Result<std::string> privateKeyToPem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") when no cipher is given.
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return detail::opensslError(exitcode::kRsaKey, "cannot write private key PEM");
    }
    return detail::bioContents(bio.get());
}

Result<std::string> spkiDer(EVP_PKEY* key) {
    unsigned char* out = nullptr;
    const int length = i2d_PUBKEY(key, &out);
    if (length <= 0) {
        return detail::opensslError(exitcode::kRsaKey, "cannot encode public key");
    }
    std::string der(reinterpret_cast<const char*>(out), static_cast<std::size_t>(length));
    OPENSSL_free(out);
    return der;
}

Result<PkeyPtr> loadRsaPrivateKey(std::string_view pem) {
    BOOST_OUTCOME_TRY(key, detail::loadPrivateKey(pem));
    if (EVP_PKEY_is_a(key.get(), "RSA") != 1) {
        return makeError(exitcode::kRsaKey, "the private key is not an RSA key");
    }
    return key;
}

Result<std::string> certificatePem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
        return detail::opensslError(exitcode::kInternal, "cannot write certificate PEM");
    }
    return detail::bioContents(bio.get());
}

// Puts the certificate whose public key matches `key` first; the others keep their order.
Result<KeyAndCertificate> assemble(EVP_PKEY* key, std::vector<X509Ptr> certs) {
    if (certs.empty()) {
        return makeError(exitcode::kInvalidArgument, "the file holds no certificate");
    }
    std::size_t leaf = certs.size();
    for (std::size_t i = 0; i < certs.size(); ++i) {
        if (EVP_PKEY_eq(X509_get0_pubkey(certs[i].get()), key) == 1) {
            leaf = i;
            break;
        }
    }
    ERR_clear_error();
    if (leaf == certs.size()) {
        return makeError(exitcode::kInvalidArgument,
                         "no certificate in the file matches its private key");
    }
    KeyAndCertificate result;
    BOOST_OUTCOME_TRY(private_key_pem_value, privateKeyToPem(key));
    result.private_key_pem = std::move(private_key_pem_value);
    BOOST_OUTCOME_TRY(certificate_pem_value, certificatePem(certs[leaf].get()));
    result.certificate_pem = std::move(certificate_pem_value);
    for (std::size_t i = 0; i < certs.size(); ++i) {
        if (i != leaf) {
            BOOST_OUTCOME_TRY(pem, certificatePem(certs[i].get()));
            result.certificate_pem += pem;
        }
    }
    return result;
}

Result<KeyAndCertificate> loadPem(std::string_view text) {
    auto bio = detail::memoryBio(text);
    PkeyPtr key;
    std::vector<X509Ptr> certs;
    for (;;) {
        char* name = nullptr;
        char* header = nullptr;
        unsigned char* data = nullptr;
        long length = 0;
        ERR_clear_error();
        if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
            // PEM_R_NO_START_LINE at the end of the input is the normal way out of the loop.
            if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break;
            }
            return detail::opensslError(exitcode::kInvalidArgument, "malformed PEM");
        }
        const std::string block_name(name);
        const bool encrypted = header != nullptr && header[0] != '\0';
        const std::string der(reinterpret_cast<const char*>(data),
                              static_cast<std::size_t>(length));
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
        if (block_name == "CERTIFICATE") {
            X509Ptr cert(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
            if (!cert) {
                return detail::opensslError(exitcode::kInvalidArgument, "malformed certificate");
            }
            certs.push_back(std::move(cert));
        } else if (block_name == "ENCRYPTED PRIVATE KEY" ||
                   (encrypted && block_name.find("PRIVATE KEY") != std::string::npos)) {
            return makeError(exitcode::kUnsupported,
                             "password-protected private keys are not supported");
        } else if (block_name == "PRIVATE KEY" || block_name == "RSA PRIVATE KEY" ||
                   block_name == "EC PRIVATE KEY") {
            if (key) {
                return makeError(exitcode::kInvalidArgument, "the PEM holds more than one key");
            }
            key.reset(d2i_AutoPrivateKey(nullptr, &cursor, static_cast<long>(der.size())));
            if (!key) {
                return detail::opensslError(exitcode::kRsaKey, "malformed private key");
            }
        }
        // Other blocks (parameters, CRLs) are not ours to interpret and are ignored.
    }
    if (!key) {
        return makeError(exitcode::kInvalidArgument, "the PEM holds no private key");
    }
    return assemble(key.get(), std::move(certs));
}

// Windows and older tools protect PFX contents with RC2/3DES; RC2 lives in the legacy provider.
void loadLegacyProviderOnce() {
    static const bool kLoaded = [] {
        OSSL_PROVIDER_try_load(nullptr, "legacy", 1);
        ERR_clear_error();
        return true;
    }();
    (void)kLoaded;
}

Result<KeyAndCertificate> loadPkcs12(std::string_view bytes) {
    ERR_clear_error();
    const auto* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
    Pkcs12Ptr p12(d2i_PKCS12(nullptr, &cursor, static_cast<long>(bytes.size())));
    if (!p12) {
        return detail::opensslError(exitcode::kInvalidArgument,
                                    "neither PEM nor a PKCS#12 (PFX) file");
    }
    if (PKCS12_mac_present(p12.get()) == 1 && PKCS12_verify_mac(p12.get(), nullptr, 0) != 1 &&
        PKCS12_verify_mac(p12.get(), "", 0) != 1) {
        ERR_clear_error();
        return makeError(exitcode::kUnsupported,
                         "password-protected PKCS#12 (PFX) files are not supported");
    }
    EVP_PKEY* raw_key = nullptr;
    X509* raw_cert = nullptr;
    STACK_OF(X509)* raw_chain = nullptr;
    int parsed = PKCS12_parse(p12.get(), nullptr, &raw_key, &raw_cert, &raw_chain);
    if (parsed != 1) {
        ERR_clear_error();
        loadLegacyProviderOnce();
        parsed = PKCS12_parse(p12.get(), nullptr, &raw_key, &raw_cert, &raw_chain);
    }
    if (parsed != 1) {
        return detail::opensslError(exitcode::kInvalidArgument, "cannot read the PKCS#12 file");
    }
    PkeyPtr key(raw_key);
    std::vector<X509Ptr> certs;
    if (raw_cert != nullptr) {
        certs.emplace_back(raw_cert);
    }
    if (raw_chain != nullptr) {
        for (int i = 0; i < sk_X509_num(raw_chain); ++i) {
            certs.emplace_back(sk_X509_value(raw_chain, i));
        }
        sk_X509_free(raw_chain); // the certificates are owned by `certs` now
    }
    if (!key) {
        return makeError(exitcode::kInvalidArgument, "the PKCS#12 file holds no private key");
    }
    return assemble(key.get(), std::move(certs));
}

bool looksLikePem(std::string_view bytes) {
    return bytes.find("-----BEGIN ") != std::string_view::npos;
}

} // namespace

Result<std::string> generateRsaPrivateKeyPem(int bits) {
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        return makeError(exitcode::kRsaKey, "RSA key size must be between 2048 and 16384 bits");
    }
    ERR_clear_error();
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1) {
        return detail::opensslError(exitcode::kRsaKey, "cannot set up RSA key generation");
    }
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_generate(ctx.get(), &raw) != 1) {
        return detail::opensslError(exitcode::kRsaKey, "RSA key generation failed");
    }
    PkeyPtr key(raw);
    return privateKeyToPem(key.get());
}

Result<std::string> publicKeyDer(std::string_view key_pem) {
    BOOST_OUTCOME_TRY(key, detail::loadPublicKey(key_pem));
    return spkiDer(key.get());
}

Result<std::string> publicKeyPem(std::string_view private_key_pem) {
    BOOST_OUTCOME_TRY(key, detail::loadPublicKey(private_key_pem));
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
        return detail::opensslError(exitcode::kRsaKey, "cannot write public key PEM");
    }
    return detail::bioContents(bio.get());
}

Result<std::string> createCsrPem(std::string_view private_key_pem, std::string_view common_name) {
    if (common_name.empty()) {
        return makeError(exitcode::kInvalidArgument, "CSR common name is empty");
    }
    BOOST_OUTCOME_TRY(key, detail::loadPrivateKey(private_key_pem));
    X509ReqPtr req(X509_REQ_new());
    if (!req || X509_REQ_set_version(req.get(), 0) != 1) {
        return detail::opensslError(exitcode::kInternal, "cannot create CSR");
    }
    X509_NAME* name = X509_REQ_get_subject_name(req.get());
    const std::string cn(common_name);
    if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()),
                                   static_cast<int>(cn.size()), -1, 0) != 1) {
        return detail::opensslError(exitcode::kInvalidArgument,
                                    "invalid CSR common name (at most 64 characters)");
    }
    if (X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
        X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
        return detail::opensslError(exitcode::kRsaKey, "cannot sign CSR");
    }
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
        return detail::opensslError(exitcode::kInternal, "cannot write CSR PEM");
    }
    return detail::bioContents(bio.get());
}

Result<CsrInfo> parseCsr(std::string_view csr_pem) {
    ERR_clear_error();
    auto bio = detail::memoryBio(csr_pem);
    X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
    if (!req) {
        return detail::opensslError(exitcode::kInvalidArgument, "cannot read CSR PEM");
    }
    EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
    if (key == nullptr) {
        return detail::opensslError(exitcode::kInvalidArgument, "CSR has no usable public key");
    }
    if (X509_REQ_verify(req.get(), key) != 1) {
        return detail::opensslError(exitcode::kInvalidArgument, "CSR signature does not verify");
    }
    CsrInfo info;
    info.common_name = detail::commonNameOf(X509_REQ_get_subject_name(req.get()));
    BOOST_OUTCOME_TRY(public_key_der_value, spkiDer(key));
    info.public_key_der = std::move(public_key_der_value);
    return info;
}

Result<std::string> signSha256(std::string_view private_key_pem, std::string_view data) {
    BOOST_OUTCOME_TRY(key, loadRsaPrivateKey(private_key_pem));
    MdCtxPtr ctx(EVP_MD_CTX_new());
    std::size_t length = 0;
    // RSA keys default to PKCS#1 v1.5 padding, which is what RS256 means.
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
        return detail::opensslError(exitcode::kRsaKey, "cannot set up signing");
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
        return detail::opensslError(exitcode::kRsaKey, "signing failed");
    }
    signature.resize(length);
    return signature;
}

Result<void> verifySha256(std::string_view public_key_pem_or_cert_pem,
                          std::string_view data,
                          std::string_view signature) {
    BOOST_OUTCOME_TRY(key, detail::loadPublicKey(public_key_pem_or_cert_pem));
    if (EVP_PKEY_is_a(key.get(), "RSA") != 1) {
        return makeError(exitcode::kRsaKey, "the verification key is not an RSA key");
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
        return detail::opensslError(exitcode::kRsaKey, "cannot set up verification");
    }
    const int verified = EVP_DigestVerify(
        ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
        reinterpret_cast<const unsigned char*>(data.data()), data.size());
    ERR_clear_error();
    if (verified != 1) {
        return makeError(exitcode::kInvalidArgument, "signature does not verify");
    }
    return ok();
}

Result<KeyAndCertificate> loadKeyAndCertificate(std::string_view file_bytes) {
    if (file_bytes.empty()) {
        return makeError(exitcode::kInvalidArgument, "the key/certificate file is empty");
    }
    if (looksLikePem(file_bytes)) {
        return loadPem(file_bytes);
    }
    return loadPkcs12(file_bytes);
}

} // namespace azcm::crypto
