#pragma once
// Entra ID (OAuth 2.0 v2) as Azure shapes it: client-credentials token endpoint (secret or
// certificate assertion), OpenID configuration, JWKS and MSAL instance discovery.
#include "common/http/http_types.hpp"
#include "emulator/service_context.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace azcm::emulator {

class EntraService {
public:
    explicit EntraService(const ServiceContext& context) : context_(context) {}

    // nullopt when the path is not an Entra route.
    std::optional<http::Response> handle(const http::Request& request,
                                         const std::vector<std::string>& segments,
                                         const std::map<std::string, std::string>& query);

private:
    http::Response token(const http::Request& request, const std::string& tenant_segment);
    http::Response openIdConfiguration(const http::Request& request,
                                       const std::string& tenant_segment);
    http::Response keys(const http::Request& request);
    http::Response instanceDiscovery(const http::Request& request,
                                     const std::map<std::string, std::string>& query);
    // The tenant id a path segment names (the id itself, or the common/organizations aliases).
    std::optional<std::string> resolveTenant(const std::string& segment);

    const ServiceContext& context_;
};

} // namespace azcm::emulator
