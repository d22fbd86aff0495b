#include "common/crypto/chain_verify.hpp"

#include "common/crypto/certificate_policy.hpp"
#include "common/crypto/openssl_util.hpp"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace azcm::crypto::detail {

namespace {

using StorePtr = OsslPtr<X509_STORE, X509_STORE_free>;
using StoreCtxPtr = OsslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using Asn1OctetStringPtr = OsslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;

bool isIpLiteral(const std::string& host) {
    Asn1OctetStringPtr ip(a2i_IPADDRESS(host.c_str()));
    ERR_clear_error();
    return ip != nullptr;
}

std::string subjectOf(X509* cert) {
    const std::string cn = commonNameOf(X509_get_subject_name(cert));
    return cn.empty() ? std::string("(no CN)") : "CN=" + cn;
}

Error verificationError(X509_STORE_CTX* ctx) {
    const int error = X509_STORE_CTX_get_error(ctx);
    if (error == X509_V_ERR_APPLICATION_VERIFICATION) {
        const std::string reason = certificatePolicyRefusal(ctx);
        if (!reason.empty()) {
            return makeError(exitcode::kGeneric, "certificate rejected: " + reason);
        }
    }
    const int depth = X509_STORE_CTX_get_error_depth(ctx);
    X509* cert = X509_STORE_CTX_get_current_cert(ctx);
    const std::string who = cert != nullptr ? subjectOf(cert) : std::string("(unknown)");
    const std::string detail = X509_verify_cert_error_string(error);
    std::string what;
    switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        what = "certificate expired";
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        what = "certificate not yet valid";
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        what = "certificate chain untrusted";
        break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        what = "certificate host mismatch";
        break;
    default:
        what = "certificate verification failed";
        break;
    }
    return makeError(exitcode::kGeneric,
                     what + ": " + detail + " (depth " + std::to_string(depth) + ", " + who + ")");
}

Result<void> expectHost(X509_VERIFY_PARAM* param, std::string name) {
    if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
        name = name.substr(1, name.size() - 2); // "[::1]" as it appears in URLs
    }
    int set = 0;
    if (isIpLiteral(name)) {
        set = X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        set = X509_VERIFY_PARAM_set1_host(param, name.data(), name.size());
    }
    if (set != 1) {
        return opensslError(exitcode::kInvalidArgument, "invalid host name: " + name);
    }
    return ok();
}

} // namespace

Result<void> verifyChain(X509* leaf,
                         STACK_OF(X509) * untrusted,
                         STACK_OF(X509) * anchors,
                         const ChainCheck& check) {
    StorePtr store(X509_STORE_new());
    if (!store) {
        return opensslError(exitcode::kInternal, "out of memory");
    }
    for (int i = 0; i < sk_X509_num(anchors); ++i) {
        if (X509_STORE_add_cert(store.get(), sk_X509_value(anchors, i)) != 1) {
            return opensslError(exitcode::kInternal, "cannot add trust anchor");
        }
    }
    installCertificatePolicy(store.get());
    StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted) != 1) {
        return opensslError(exitcode::kInternal, "cannot set up verification");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_flags(param, check.flags);
    if (check.at) {
        X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(*check.at));
    }
    if (check.purpose != 0 && X509_STORE_CTX_set_purpose(ctx.get(), check.purpose) != 1) {
        return opensslError(exitcode::kInternal, "cannot set the key purpose");
    }
    if (!check.host.empty()) {
        BOOST_OUTCOME_TRY(expectHost(param, check.host));
    }
    ERR_clear_error();
    if (X509_verify_cert(ctx.get()) != 1) {
        Error error = verificationError(ctx.get());
        ERR_clear_error();
        return error;
    }
    return ok();
}

} // namespace azcm::crypto::detail
