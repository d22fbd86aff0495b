#pragma once
// Access tokens of the emulator's Entra ID (RS256 JWT signed with signing.key) and their
// verification by ARM and the identity service.
#include "error.hpp"
#include "http/http_types.hpp"
#include "service_context.hpp"

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
