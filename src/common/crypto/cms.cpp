#include "crypto/cms.hpp"

#include "crypto/encoding.hpp"
#include "crypto/openssl_util.hpp"
#include "crypto/x509.hpp"

#include <openssl/cms.h>
#include <openssl/x509_vfy.h>

namespace azcm::crypto {

using detail::BioPtr;
using detail::memoryBio;
using detail::opensslError;
using detail::X509Ptr;

namespace {

using CmsPtr = detail::OsslPtr<CMS_ContentInfo, CMS_ContentInfo_free>;
using StorePtr = detail::OsslPtr<X509_STORE, X509_STORE_free>;

struct CertStackFree {
    void operator()(STACK_OF(X509) * stack) const { sk_X509_pop_free(stack, X509_free); }
};
using CertStackPtr = std::unique_ptr<STACK_OF(X509), CertStackFree>;

// Every certificate of a PEM bundle, in order.
Result<std::vector<X509Ptr>> loadCertificates(std::string_view pem) {
    auto blocks = splitPemCertificates(pem);
    if (!blocks) {
        return blocks.error();
    }
    std::vector<X509Ptr> certificates;
    for (const auto& block : blocks.value()) {
        auto certificate = detail::loadCertificatePem(block);
        if (!certificate) {
            return certificate.error();
        }
        certificates.push_back(std::move(certificate).value());
    }
    if (certificates.empty()) {
        return makeError(exitcode::kInvalidArgument, "no certificate in the PEM text");
    }
    return certificates;
}

Result<std::string> toDer(CMS_ContentInfo* cms) {
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!out || i2d_CMS_bio(out.get(), cms) != 1) {
        return opensslError(exitcode::kInternal, "cannot encode the CMS structure");
    }
    return detail::bioContents(out.get());
}

Result<CmsPtr> fromDer(std::string_view der, const char* what) {
    ERR_clear_error();
    auto in = memoryBio(der);
    CmsPtr cms(d2i_CMS_bio(in.get(), nullptr));
    if (!cms) {
        return opensslError(exitcode::kInvalidArgument, std::string("malformed ") + what);
    }
    return cms;
}

} // namespace

Result<std::string> signDetachedCms(std::string_view content,
                                    std::string_view signer_key_pem,
                                    std::string_view signer_chain_pem) {
    ERR_clear_error();
    auto key = detail::loadPrivateKey(signer_key_pem);
    if (!key) {
        return key.error();
    }
    auto chain = loadCertificates(signer_chain_pem);
    if (!chain) {
        return chain.error();
    }
    CertStackPtr extra(sk_X509_new_null());
    for (std::size_t i = 1; i < chain.value().size(); ++i) {
        X509_up_ref(chain.value()[i].get());
        sk_X509_push(extra.get(), chain.value()[i].get());
    }
    auto data = memoryBio(content);
    // CMS_BINARY: the package bytes are signed as they are, never canonicalised as MIME text.
    CmsPtr cms(CMS_sign(chain.value().front().get(), key.value().get(), extra.get(), data.get(),
                        CMS_DETACHED | CMS_BINARY));
    if (!cms) {
        return opensslError(exitcode::kInternal, "cannot sign the content");
    }
    return toDer(cms.get());
}

Result<std::string> verifyDetachedCms(std::string_view content,
                                      std::string_view signature_der,
                                      std::string_view trusted_root_pem) {
    auto cms = fromDer(signature_der, "package signature");
    if (!cms) {
        return cms.error();
    }
    auto roots = loadCertificates(trusted_root_pem);
    if (!roots) {
        return roots.error();
    }
    StorePtr store(X509_STORE_new());
    for (const auto& root : roots.value()) {
        X509_STORE_add_cert(store.get(), root.get());
    }
    // The signing chain is ours, not S/MIME mail: accept any key purpose rather than demanding
    // emailProtection, while the chain, validity and signature checks stay in force.
    X509_STORE_set_purpose(store.get(), X509_PURPOSE_ANY);
    auto data = memoryBio(content);
    ERR_clear_error();
    if (CMS_verify(cms.value().get(), nullptr, store.get(), data.get(), nullptr, CMS_BINARY) != 1) {
        return opensslError(exitcode::kInvalidArgument, "the package signature does not verify");
    }
    CertStackPtr signers(CMS_get0_signers(cms.value().get()));
    // CMS_get0_signers returns borrowed pointers: release the stack without freeing them.
    STACK_OF(X509)* borrowed = signers.release();
    std::string name;
    if (borrowed != nullptr && sk_X509_num(borrowed) > 0) {
        name = detail::commonNameOf(X509_get_subject_name(sk_X509_value(borrowed, 0)));
    }
    sk_X509_free(borrowed);
    return name;
}

Result<std::string> encryptCms(std::string_view plaintext, std::string_view recipient_cert_pem) {
    auto recipient = detail::loadCertificatePem(recipient_cert_pem);
    if (!recipient) {
        return recipient.error();
    }
    CertStackPtr recipients(sk_X509_new_null());
    X509_up_ref(recipient.value().get());
    sk_X509_push(recipients.get(), recipient.value().get());
    auto data = memoryBio(plaintext);
    ERR_clear_error();
    CmsPtr cms(CMS_encrypt(recipients.get(), data.get(), EVP_aes_256_cbc(), CMS_BINARY));
    if (!cms) {
        return opensslError(exitcode::kInternal, "cannot encrypt to the recipient certificate");
    }
    return toDer(cms.get());
}

Result<std::string> decryptCms(std::string_view enveloped_der,
                               std::string_view recipient_cert_pem,
                               std::string_view recipient_key_pem) {
    auto cms = fromDer(enveloped_der, "encrypted content");
    if (!cms) {
        return cms.error();
    }
    auto certificate = detail::loadCertificatePem(recipient_cert_pem);
    if (!certificate) {
        return certificate.error();
    }
    auto key = detail::loadPrivateKey(recipient_key_pem);
    if (!key) {
        return key.error();
    }
    BioPtr out(BIO_new(BIO_s_mem()));
    ERR_clear_error();
    if (CMS_decrypt(cms.value().get(), key.value().get(), certificate.value().get(), nullptr,
                    out.get(), CMS_BINARY) != 1) {
        return opensslError(exitcode::kInvalidArgument, "cannot decrypt the content");
    }
    return detail::bioContents(out.get());
}

Result<std::string> certificateThumbprint(std::string_view certificate_pem) {
    auto certificate = detail::loadCertificatePem(certificate_pem);
    if (!certificate) {
        return certificate.error();
    }
    std::string hex = hexEncode(sha1(detail::certificateDer(certificate.value().get())));
    for (auto& c : hex) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return hex;
}

} // namespace azcm::crypto
