#include "emulator/machine_auth.hpp"

#include "common/crypto/jwt.hpp"
#include "common/crypto/x509.hpp"
#include "common/log/log.hpp"
#include "emulator/http_util.hpp"
#include "emulator/token_service.hpp"

#include <spdlog/spdlog.h>

namespace azcm::emulator {

namespace {

struct MachineKey {
    std::string subscription_id;
    std::string resource_group;
    std::string name;
};

// "/subscriptions/S/resourcegroups/RG/providers/Microsoft.HybridCompute/machines/NAME", any case.
std::optional<MachineKey> parseMirid(const std::string& id) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= id.size()) {
        const auto slash = id.find('/', start);
        parts.push_back(id.substr(start, slash == std::string::npos ? slash : slash - start));
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    if (parts.size() != 9 || !parts[0].empty() || !equalsIgnoreCase(parts[1], "subscriptions") ||
        !equalsIgnoreCase(parts[3], "resourcegroups") || !equalsIgnoreCase(parts[5], "providers") ||
        !equalsIgnoreCase(parts[6], "Microsoft.HybridCompute") ||
        !equalsIgnoreCase(parts[7], "machines") || parts[2].empty() || parts[4].empty() ||
        parts[8].empty()) {
        return std::nullopt;
    }
    return MachineKey{parts[2], parts[4], parts[8]};
}

MachineByCertificate
tokenFailure(const http::Request& request, std::string_view code, const std::string& message) {
    MachineByCertificate result;
    result.failure = errorResponse(request, http::Status::unauthorized, code, message);
    result.failure->set(http::Field::www_authenticate,
                        "Bearer error=\"invalid_token\", error_description=\"The managed "
                        "identity token was refused.\"");
    return result;
}

MachineByCertificate machineForToken(const ServiceContext& context,
                                     const http::Request& request,
                                     const std::string& token) {
    auto settings = context.store.settings();
    if (!settings) {
        MachineByCertificate result;
        result.failure = errorResponse(request, http::Status::internal_server_error,
                                       "InternalError", settings.error().message);
        return result;
    }
    crypto::JwtExpectations expect;
    expect.audiences = {std::string(kAgentServiceAudience),
                        std::string(kAgentServiceAudience) + "/"};
    expect.issuer = issuerFor(context, settings.value().tenant_id);
    expect.now = context.clock();
    expect.leeway = std::chrono::seconds(0);
    auto claims = crypto::verifyJwt(token, context.pki.signing_public_pem, expect);
    if (!claims) {
        // The reason (expired, audience, signature) is safe to show; the token never is.
        spdlog::info("EMULATOR_AGENT_TOKEN_REFUSED reason={}",
                     log::sanitize(claims.error().message));
        return tokenFailure(request, "InvalidAuthenticationToken",
                            "The managed identity token is invalid: " + claims.error().message);
    }
    const auto& values = claims.value();
    const auto text = [&](const char* key) {
        return values.contains(key) && values.at(key).is_string()
                   ? values.at(key).get<std::string>()
                   : std::string();
    };
    const auto key = parseMirid(text("xms_mirid"));
    if (!values.contains("exp") || !key || text("oid").empty()) {
        return tokenFailure(request, "InvalidAuthenticationToken",
                            "The token is not a machine's managed identity token (exp, oid and "
                            "xms_mirid are required).");
    }
    auto found = context.store.findMachine(key->subscription_id, key->resource_group, key->name);
    if (!found) {
        MachineByCertificate result;
        result.failure = errorResponse(request, http::Status::internal_server_error,
                                       "InternalError", found.error().message);
        return result;
    }
    // A machine deleted and created again under the same name has a new identity: tokens of the
    // old one must not reach the new one's goal state.
    if (!found.value() || !equalsIgnoreCase(found.value()->principal_id, text("oid"))) {
        return tokenFailure(request, "MachineNotFound",
                            "The token's machine does not exist (or no longer has that "
                            "identity).");
    }
    MachineByCertificate result;
    result.machine = std::move(found.value());
    return result;
}

} // namespace

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
    const auto now = context.clock();
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

namespace azcm::emulator {

MachineByCertificate machineForAgent(const ServiceContext& context,
                                     const http::Request& request,
                                     const http::PeerInfo& peer) {
    if (request.find(http::Field::authorization) != request.end()) {
        const auto token = bearerToken(request);
        if (!token) {
            return tokenFailure(request, "InvalidAuthenticationToken",
                                "The Authorization header must be 'Bearer <token>'.");
        }
        return machineForToken(context, request, *token);
    }
    return machineForPeer(context, request, peer);
}

} // namespace azcm::emulator
