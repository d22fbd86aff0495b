#include "common/crypto/cms.hpp"

#include "common/crypto/chain_verify.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/openssl_util.hpp"
#include "common/crypto/x509.hpp"

#include <optional>

#include <openssl/cms.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace azcm::crypto {

using detail::BioPtr;
using detail::memoryBio;
using detail::opensslError;
using detail::X509Ptr;

namespace {

using CmsPtr = detail::OsslPtr<CMS_ContentInfo, CMS_ContentInfo_free>;
using ObjectPtr = detail::OsslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;

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

// The single UTF8String of the signed attribute `oid_text`; nullopt when the signer has none.
Result<std::optional<std::string>> signedTextAttribute(CMS_SignerInfo* signer,
                                                       const std::string& oid_text) {
    ObjectPtr oid(OBJ_txt2obj(oid_text.c_str(), 1));
    if (!oid) {
        return opensslError(exitcode::kInternal, "invalid object identifier " + oid_text);
    }
    const int location = CMS_signed_get_attr_by_OBJ(signer, oid.get(), -1);
    if (location < 0) {
        return std::optional<std::string>();
    }
    if (CMS_signed_get_attr_by_OBJ(signer, oid.get(), location) >= 0) {
        return makeError(exitcode::kInvalidArgument,
                         "the signed attribute " + oid_text + " appears more than once");
    }
    X509_ATTRIBUTE* attribute = CMS_signed_get_attr(signer, location);
    ASN1_TYPE* value =
        X509_ATTRIBUTE_count(attribute) == 1 ? X509_ATTRIBUTE_get0_type(attribute, 0) : nullptr;
    if (value == nullptr || ASN1_TYPE_get(value) != V_ASN1_UTF8STRING) {
        return makeError(exitcode::kInvalidArgument,
                         "the signed attribute " + oid_text + " is not one UTF8String");
    }
    const ASN1_STRING* text = value->value.utf8string;
    return std::optional<std::string>(
        std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                    static_cast<std::size_t>(ASN1_STRING_length(text))));
}

} // namespace

Result<std::string> signDetachedCms(std::string_view content,
                                    std::string_view signer_key_pem,
                                    std::string_view signer_chain_pem,
                                    const std::vector<SignedTextAttribute>& attributes) {
    ERR_clear_error();
    auto key = detail::loadPrivateKey(signer_key_pem);
    if (!key) {
        return key.error();
    }
    auto chain = loadCertificates(signer_chain_pem);
    if (!chain) {
        return chain.error();
    }
    // CMS_BINARY: the package bytes are signed as they are, never canonicalised as MIME text.
    // CMS_PARTIAL: the signer gets its attributes before CMS_final computes the signature.
    constexpr unsigned int kFlags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
    CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, kFlags));
    if (!cms) {
        return opensslError(exitcode::kInternal, "cannot create the signature");
    }
    CMS_SignerInfo* signer = CMS_add1_signer(cms.get(), chain.value().front().get(),
                                             key.value().get(), EVP_sha256(), kFlags);
    if (signer == nullptr) {
        return opensslError(exitcode::kInternal, "cannot add the signer");
    }
    for (const auto& attribute : attributes) {
        ObjectPtr oid(OBJ_txt2obj(attribute.oid.c_str(), 1));
        if (!oid || attribute.value.size() > static_cast<std::size_t>(INT_MAX) ||
            CMS_signed_add1_attr_by_OBJ(signer, oid.get(), V_ASN1_UTF8STRING,
                                        attribute.value.data(),
                                        static_cast<int>(attribute.value.size())) != 1) {
            return opensslError(exitcode::kInternal,
                                "cannot add the signed attribute " + attribute.oid);
        }
    }
    for (std::size_t i = 1; i < chain.value().size(); ++i) {
        if (CMS_add1_cert(cms.get(), chain.value()[i].get()) != 1) {
            return opensslError(exitcode::kInternal, "cannot embed the intermediate certificate");
        }
    }
    auto data = memoryBio(content);
    if (CMS_final(cms.get(), data.get(), nullptr, kFlags) != 1) {
        return opensslError(exitcode::kInternal, "cannot sign the content");
    }
    return toDer(cms.get());
}

Result<VerifiedCms> verifyDetachedCmsAttributes(std::string_view content,
                                                std::string_view signature_der,
                                                std::string_view trusted_root_pem,
                                                const std::vector<std::string>& attribute_oids) {
    auto cms = fromDer(signature_der, "package signature");
    if (!cms) {
        return cms.error();
    }
    auto roots = loadCertificates(trusted_root_pem);
    if (!roots) {
        return roots.error();
    }
    CertStackPtr anchors(sk_X509_new_null());
    for (const auto& root : roots.value()) {
        if (!anchors || X509_up_ref(root.get()) != 1) {
            return opensslError(exitcode::kInternal, "out of memory");
        }
        if (sk_X509_push(anchors.get(), root.get()) == 0) {
            X509_free(root.get());
            return opensslError(exitcode::kInternal, "out of memory");
        }
    }
    // The digest and the signature here; the signer's chain below, with the certificate policy.
    // The content goes through a null filter: given a memory BIO, OpenSSL 3.0's CMS_verify
    // verifies a copy of it and leaks the copy when the signature names a digest it cannot set up
    // (found by the cms fuzz target).
    auto content_bio = memoryBio(content);
    BioPtr data(BIO_new(BIO_f_null()));
    if (!content_bio || !data) {
        return opensslError(exitcode::kInternal, "out of memory");
    }
    BIO_push(data.get(), content_bio.release());
    ERR_clear_error();
    if (CMS_verify(cms.value().get(), nullptr, nullptr, data.get(), nullptr,
                   CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
        return opensslError(exitcode::kInvalidArgument, "the package signature does not verify");
    }
    STACK_OF(CMS_SignerInfo)* signer_infos = CMS_get0_SignerInfos(cms.value().get());
    if (sk_CMS_SignerInfo_num(signer_infos) != 1) {
        return makeError(exitcode::kInvalidArgument,
                         "the package signature must have exactly one signer");
    }
    CMS_SignerInfo* signer_info = sk_CMS_SignerInfo_value(signer_infos, 0);
    X509* signer = nullptr;
    CMS_SignerInfo_get0_algs(signer_info, nullptr, &signer, nullptr, nullptr);
    if (signer == nullptr) {
        return makeError(exitcode::kInvalidArgument, "the signer's certificate is not embedded");
    }
    CertStackPtr offered(CMS_get1_certs(cms.value().get()));
    detail::ChainCheck check;
    // The signing chain is ours, not S/MIME mail: any key purpose rather than emailProtection,
    // while the chain, validity and policy checks stay in force.
    check.purpose = X509_PURPOSE_ANY;
    if (auto chained = detail::verifyChain(signer, offered.get(), anchors.get(), check); !chained) {
        return makeError(exitcode::kInvalidArgument,
                         "the package signer is not trusted: " + chained.error().message);
    }
    VerifiedCms verified;
    verified.signer_common_name = detail::commonNameOf(X509_get_subject_name(signer));
    for (const auto& oid_text : attribute_oids) {
        BOOST_OUTCOME_TRY(value, signedTextAttribute(signer_info, oid_text));
        if (value) {
            verified.attributes.push_back({oid_text, std::move(*value)});
        }
    }
    return verified;
}

Result<std::string> verifyDetachedCms(std::string_view content,
                                      std::string_view signature_der,
                                      std::string_view trusted_root_pem) {
    BOOST_OUTCOME_TRY(verified,
                      verifyDetachedCmsAttributes(content, signature_der, trusted_root_pem, {}));
    return verified.signer_common_name;
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
