#include "common/crypto/certificate_policy.hpp"

#include "common/crypto/openssl_util.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace azcm::crypto {

namespace {

// The refusal reason lives in ex_data of the verification context and, for TLS, of the
// connection: the callback runs deep inside OpenSSL, and the caller reads the reason afterwards.
void freeReason(void* /*parent*/,
                void* reason,
                CRYPTO_EX_DATA* /*data*/,
                int /*index*/,
                long /*argl*/,
                void* /*argp*/) {
    delete static_cast<std::string*>(reason);
}

int connectionReasonIndex() {
    static const int kIndex = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, freeReason);
    return kIndex;
}

int contextReasonIndex() {
    static const int kIndex =
        X509_STORE_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, freeReason);
    return kIndex;
}

void keepReason(SSL* connection, const std::string& reason) {
    const int index = connectionReasonIndex();
    delete static_cast<std::string*>(SSL_get_ex_data(connection, index));
    SSL_set_ex_data(connection, index, new std::string(reason));
}

void keepReason(X509_STORE_CTX* context, const std::string& reason) {
    const int index = contextReasonIndex();
    delete static_cast<std::string*>(X509_STORE_CTX_get_ex_data(context, index));
    X509_STORE_CTX_set_ex_data(context, index, new std::string(reason));
}

// The serial as a signed hex number ("-05"), as OpenSSL's tools print it.
std::string serialText(const ASN1_INTEGER* serial) {
    detail::BignumPtr number(ASN1_INTEGER_to_BN(serial, nullptr));
    if (!number) {
        ERR_clear_error();
        return "(unreadable)";
    }
    char* hex = BN_bn2hex(number.get());
    if (hex == nullptr) {
        return "(unreadable)";
    }
    std::string text(hex);
    OPENSSL_free(hex);
    return text;
}

std::string subjectOf(const X509* certificate) {
    const std::string cn = detail::commonNameOf(X509_get_subject_name(certificate));
    return cn.empty() ? std::string("(no CN)") : "CN=" + cn;
}

std::string violationAt(const X509* certificate, int depth) {
    std::string reason = certificatePolicyViolation(certificate);
    if (reason.empty()) {
        return reason;
    }
    return "certificate " + subjectOf(certificate) + " at depth " + std::to_string(depth) + " " +
           reason;
}

} // namespace

std::string certificatePolicyViolation(const X509* certificate) {
    if (certificate == nullptr) {
        return "is missing";
    }
    // RFC 5280 4.1.2.2: "The serial number MUST be a positive integer". Zero is not positive.
    const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate);
    detail::BignumPtr number(serial != nullptr ? ASN1_INTEGER_to_BN(serial, nullptr) : nullptr);
    if (!number) {
        ERR_clear_error();
        return "has an unreadable serial number";
    }
    if (BN_is_zero(number.get()) || BN_is_negative(number.get()) != 0) {
        return "has serial number " + serialText(serial) +
               ", which is not positive (RFC 5280 4.1.2.2)";
    }
    return {};
}

int certificatePolicyCallback(int preverify_ok, X509_STORE_CTX* context) {
    if (preverify_ok != 1) {
        return preverify_ok; // OpenSSL's own refusal stands
    }
    const int depth = X509_STORE_CTX_get_error_depth(context);
    std::string reason = violationAt(X509_STORE_CTX_get_current_cert(context), depth);
    // OpenSSL visits the path from the anchor down to the leaf; at the leaf the whole path is
    // checked once more, so no certificate depends on the order of the calls.
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(context);
    for (int i = 0; reason.empty() && depth == 0 && chain != nullptr && i < sk_X509_num(chain);
         ++i) {
        reason = violationAt(sk_X509_value(chain, i), i);
    }
    if (reason.empty()) {
        return 1;
    }
    X509_STORE_CTX_set_error(context, X509_V_ERR_APPLICATION_VERIFICATION);
    keepReason(context, reason);
    auto* connection = static_cast<SSL*>(
        X509_STORE_CTX_get_ex_data(context, SSL_get_ex_data_X509_STORE_CTX_idx()));
    if (connection != nullptr) {
        keepReason(connection, reason);
    }
    return 0;
}

void installCertificatePolicy(SSL_CTX* context) {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, certificatePolicyCallback);
}

void installCertificatePolicy(X509_STORE* store) {
    X509_STORE_set_verify_cb(store, certificatePolicyCallback);
}

std::string certificatePolicyRefusal(const SSL* connection) {
    const auto* reason =
        static_cast<const std::string*>(SSL_get_ex_data(connection, connectionReasonIndex()));
    return reason != nullptr ? *reason : std::string();
}

std::string certificatePolicyRefusal(const X509_STORE_CTX* context) {
    const auto* reason =
        static_cast<const std::string*>(X509_STORE_CTX_get_ex_data(context, contextReasonIndex()));
    return reason != nullptr ? *reason : std::string();
}

std::string tlsVerifyFailure(const SSL* connection) {
    const long result = SSL_get_verify_result(connection);
    if (result == X509_V_ERR_APPLICATION_VERIFICATION) {
        std::string reason = certificatePolicyRefusal(connection);
        if (!reason.empty()) {
            return reason;
        }
    }
    return X509_verify_cert_error_string(result);
}

} // namespace azcm::crypto
