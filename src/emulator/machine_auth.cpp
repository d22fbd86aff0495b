#include "machine_auth.hpp"

#include "crypto/x509.hpp"
#include "http_util.hpp"

namespace azcm::emulator {

MachineByCertificate machineForPeer(const ServiceContext& context,
                                    const http::Request& request,
                                    const http::PeerInfo& peer) {
    MachineByCertificate result;
    if (!peer.client_certificate_der || peer.client_certificate_der->empty()) {
        result.failure =
            errorResponse(request, http::Status::unauthorized, "ClientCertificateRequired",
                          "A valid machine certificate (mutual TLS) is required.");
        return result;
    }
    auto info = crypto::parseCertificateDer(*peer.client_certificate_der);
    if (!info) {
        result.failure = errorResponse(request, http::Status::unauthorized, "InvalidCertificate",
                                       "The client certificate is unreadable.");
        return result;
    }
    const auto now = context.clock.now();
    if (now < info.value().not_before || now >= info.value().not_after) {
        result.failure = errorResponse(request, http::Status::unauthorized, "CertificateExpired",
                                       "The machine certificate is not valid at this time.");
        return result;
    }
    auto found = context.store.findMachineByThumbprint(info.value().thumbprint_sha1_hex);
    if (!found) {
        result.failure = errorResponse(request, http::Status::internal_server_error,
                                       "InternalError", found.error().message);
        return result;
    }
    if (!found.value()) {
        result.failure = errorResponse(request, http::Status::not_found, "MachineNotFound",
                                       "The certificate is not the current certificate of any "
                                       "machine.");
        return result;
    }
    result.machine = std::move(found.value());
    return result;
}

} // namespace azcm::emulator
