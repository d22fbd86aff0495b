#pragma once
// Internal to the crypto module: RAII owners for OpenSSL objects and the few loaders every file of
// the module needs. Not part of the module's API; include it only from src/common/crypto/*.cpp.
#include "common/error.hpp"

#include <climits>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace azcm::crypto::detail {

template <auto Free> struct OsslDeleter {
    template <class T> void operator()(T* object) const { Free(object); }
};

template <class T, auto Free> using OsslPtr = std::unique_ptr<T, OsslDeleter<Free>>;

using BioPtr = OsslPtr<BIO, BIO_free_all>;
using PkeyPtr = OsslPtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = OsslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = OsslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using X509Ptr = OsslPtr<X509, X509_free>;
using BignumPtr = OsslPtr<BIGNUM, BN_free>;

// The queued OpenSSL errors as one line (and the queue emptied), for error messages.
inline std::string opensslErrors() {
    std::string text;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof(buffer));
        if (!text.empty()) {
            text += "; ";
        }
        text += buffer;
    }
    return text.empty() ? std::string("no OpenSSL detail") : text;
}

inline Error opensslError(int code, std::string what) {
    return makeError(code, std::move(what) + " (" + opensslErrors() + ")");
}

// A read-only memory BIO over `bytes` (which must outlive it).
inline BioPtr memoryBio(std::string_view bytes) {
    // BIO_new_mem_buf refuses a null pointer and takes a negative length as "use strlen", so
    // empty and oversized inputs become an empty buffer (which then fails to parse).
    if (bytes.empty() || bytes.size() > static_cast<std::size_t>(INT_MAX)) {
        return BioPtr(BIO_new_mem_buf("", 0));
    }
    return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

inline std::string bioContents(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

// PKCS#8 or traditional ("RSA PRIVATE KEY") PEM, unencrypted.
inline Result<PkeyPtr> loadPrivateKey(std::string_view pem) {
    ERR_clear_error();
    auto bio = memoryBio(pem);
    // An empty passphrase callback result makes encrypted keys fail instead of prompting on a tty.
    PkeyPtr key(PEM_read_bio_PrivateKey(
        bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
    if (!key) {
        return opensslError(exitcode::kRsaKey, "cannot read private key PEM");
    }
    ERR_clear_error();
    return key;
}

// A SubjectPublicKeyInfo PEM, a certificate PEM, or a private key PEM: the public key of it.
inline Result<PkeyPtr> loadPublicKey(std::string_view pem) {
    ERR_clear_error();
    if (pem.find("-----BEGIN PUBLIC KEY-----") != std::string_view::npos) {
        auto bio = memoryBio(pem);
        PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
        if (!key) {
            return opensslError(exitcode::kRsaKey, "cannot read public key PEM");
        }
        return key;
    }
    if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
        auto bio = memoryBio(pem);
        X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!cert) {
            return opensslError(exitcode::kInvalidArgument, "cannot read certificate PEM");
        }
        PkeyPtr key(X509_get_pubkey(cert.get()));
        if (!key) {
            return opensslError(exitcode::kRsaKey, "certificate has no usable public key");
        }
        return key;
    }
    if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
        return loadPrivateKey(pem);
    }
    return makeError(exitcode::kRsaKey, "no public key, certificate or private key PEM found");
}

inline Result<X509Ptr> loadCertificatePem(std::string_view pem) {
    ERR_clear_error();
    auto bio = memoryBio(pem);
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        return opensslError(exitcode::kInvalidArgument, "cannot read certificate PEM");
    }
    return cert;
}

inline std::string certificateDer(X509* cert) {
    unsigned char* out = nullptr;
    const int length = i2d_X509(cert, &out);
    if (length <= 0) {
        return {};
    }
    std::string der(reinterpret_cast<const char*>(out), static_cast<std::size_t>(length));
    OPENSSL_free(out);
    return der;
}

inline std::string commonNameOf(const X509_NAME* name) {
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0) {
        return {};
    }
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0) {
        return {};
    }
    std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return text;
}

inline std::string bignumBytes(const BIGNUM* number) {
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(number)), '\0');
    BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes.data()));
    return bytes;
}

} // namespace azcm::crypto::detail
