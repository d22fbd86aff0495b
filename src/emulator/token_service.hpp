#pragma once
// Access tokens of the emulator's Entra ID (RS256 JWT signed with signing.key) and their
// verification by ARM and the identity service.
#include "common/error.hpp"
#include "common/http/http_types.hpp"
#include "emulator/service_context.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace azcm::emulator {

struct Caller {
    std::string object_id;
    std::string app_id;
    std::string tenant_id;
};

// "1": client secret, "2": certificate (the v1 appidacr / v2 azpacr claim).
Result<std::string> issueAccessToken(const ServiceContext& context,
                                     const ServicePrincipal& principal,
                                     const std::string& tenant_id,
                                     const std::string& audience,
                                     const std::string& auth_method);

// What a managed identity token is issued for: the machine's system-assigned identity.
struct ManagedIdentityGrant {
    std::string principal_id;
    std::string client_id;
    std::string resource_id; // xms_mirid
    std::string audience;
};
// An RS256 token of the machine's identity (same key, kid and issuer as the Entra tokens).
Result<std::string> issueManagedIdentityToken(const ServiceContext& context,
                                              const ManagedIdentityGrant& grant,
                                              const std::string& tenant_id,
                                              std::int64_t issued_at);

std::string issuerFor(const ServiceContext& context, const std::string& tenant_id);
std::vector<std::string> armAudiences(const ServiceContext& context);

struct Authentication {
    std::optional<Caller> caller;
    std::string error_code; // AuthenticationFailed | InvalidAuthenticationToken
    std::string message;
};
// Checks the bearer token of an ARM-style request (signature, exp, issuer, ARM audience).
Authentication authenticateArm(const ServiceContext& context, const http::Request& request);
// The 401 ARM answers with for a failed authentication.
http::Response authenticationFailure(const ServiceContext& context,
                                     const http::Request& request,
                                     const Authentication& failure);

} // namespace azcm::emulator
