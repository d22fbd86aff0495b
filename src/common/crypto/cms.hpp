#pragma once
// CMS (RFC 5652) for the two places the suite needs it: detached signatures over downloaded
// packages (extensions, guest-configuration packages) and EnvelopedData for extension protected
// settings, which the control plane encrypts to the settings certificate extservice registers.
// All inputs and outputs are PEM text or raw DER bytes in std::string, as in the rest of crypto/.
#include "common/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace azcm::crypto {

// A signed attribute of a CMS signer: an object identifier in dotted form and one UTF8String.
struct SignedTextAttribute {
    std::string oid;
    std::string value;
};

// Detached CMS SignedData (DER) over `content`, SHA-256, signed by the first certificate of
// `signer_chain_pem` with `signer_key_pem`; the other certificates of the chain (intermediates)
// are embedded so a verifier needs only the root. `attributes` join the signed attributes, so
// the signature covers them as it covers the content.
Result<std::string> signDetachedCms(std::string_view content,
                                    std::string_view signer_key_pem,
                                    std::string_view signer_chain_pem,
                                    const std::vector<SignedTextAttribute>& attributes = {});

struct VerifiedCms {
    std::string signer_common_name;
    // The signed attributes asked for that are present, in the order asked.
    std::vector<SignedTextAttribute> attributes;
};

// Verifies a detached CMS signature: exactly one signer, the content digest, the signature over
// the signed attributes, and the signer's chain up to `trusted_root_pem` (that root only; the
// system store is not consulted) with the certificate policy at every depth. Returns the signer's
// common name and the signed attributes named in `attribute_oids`; such an attribute must hold one
// UTF8String and appear once. Fails closed on anything else.
Result<VerifiedCms> verifyDetachedCmsAttributes(std::string_view content,
                                                std::string_view signature_der,
                                                std::string_view trusted_root_pem,
                                                const std::vector<std::string>& attribute_oids);

// The same without attributes: returns the signer certificate's subject common name.
Result<std::string> verifyDetachedCms(std::string_view content,
                                      std::string_view signature_der,
                                      std::string_view trusted_root_pem);

// CMS EnvelopedData (DER), AES-256-CBC, key transport to the RSA key of `recipient_cert_pem`.
// `openssl cms -decrypt -inform DER -recip <cert> -inkey <key>` opens it, as does
// `openssl smime -decrypt -inform DER` (the WALinuxAgent handler convention).
Result<std::string> encryptCms(std::string_view plaintext, std::string_view recipient_cert_pem);
Result<std::string> decryptCms(std::string_view enveloped_der,
                               std::string_view recipient_cert_pem,
                               std::string_view recipient_key_pem);

// SHA-1 thumbprint of a certificate's DER, upper-case hex (protectedSettingsCertThumbprint).
Result<std::string> certificateThumbprint(std::string_view certificate_pem);

} // namespace azcm::crypto
