// The machine's "ROOT" store (CurrentUser's view includes LocalMachine's roots; services run as
// accounts whose view is the machine's), copied into OpenSSL one DER certificate at a time.
#include "common/platform/trust_roots.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <memory>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <windows.h>
// after windows.h, whose types they use
#include <wincrypt.h>

namespace azcm::platform {

namespace {

struct StoreCloser {
    void operator()(void* store) const { ::CertCloseStore(static_cast<HCERTSTORE>(store), 0); }
};
struct X509Free {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};

// Calls `use` with each root of the store that OpenSSL can parse; a certificate it cannot parse
// is skipped (Windows keeps some that OpenSSL rejects), an empty store is an error.
template <typename Use> Result<void> forEachRoot(Use use) {
    std::unique_ptr<void, StoreCloser> store(::CertOpenSystemStoreW(0, L"ROOT"));
    if (!store) {
        return win32Error("CertOpenSystemStore(ROOT)", ::GetLastError());
    }
    int used = 0;
    const CERT_CONTEXT* entry = nullptr;
    while ((entry = ::CertEnumCertificatesInStore(store.get(), entry)) != nullptr) {
        const unsigned char* der = entry->pbCertEncoded;
        std::unique_ptr<X509, X509Free> certificate(
            d2i_X509(nullptr, &der, static_cast<long>(entry->cbCertEncoded)));
        if (certificate && use(certificate.get())) {
            ++used;
        }
    }
    if (used == 0) {
        return makeError(exitcode::kNetwork, "the machine's ROOT certificate store holds no root "
                                             "OpenSSL can use");
    }
    return ok();
}

} // namespace

Result<void> trustSystemRoots(ssl_ctx_st* context) {
    X509_STORE* trust = SSL_CTX_get_cert_store(context);
    return forEachRoot([trust](X509* root) {
        // A root already present (the store lists some twice) is not an error.
        X509_STORE_add_cert(trust, root);
        return true;
    });
}

Result<std::string> systemRootsPem() {
    std::unique_ptr<BIO, BioFree> out(BIO_new(BIO_s_mem()));
    if (!out) {
        return makeError(exitcode::kCloudConfig, "out of memory");
    }
    BOOST_OUTCOME_TRY(
        forEachRoot([&out](X509* root) { return PEM_write_bio_X509(out.get(), root) == 1; }));
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

} // namespace azcm::platform
