#pragma once
// The hybrid identity service (docs/protocol.md section 2): machine certificate issue with an ARM
// token; heartbeats, renewal and managed identity tokens with mutual TLS.
#include "common/http/http_types.hpp"
#include "emulator/service_context.hpp"

#include <string>
#include <vector>

namespace azcm::emulator {

class IdentityService {
public:
    explicit IdentityService(const ServiceContext& context) : context_(context) {}

    // `segments` follow the "his" prefix.
    http::Response handle(const http::Request& request,
                          const http::PeerInfo& peer,
                          const std::vector<std::string>& segments);

private:
    http::Response issue(const http::Request& request);
    http::Response heartbeat(const http::Request& request, const http::PeerInfo& peer);
    http::Response renew(const http::Request& request, const http::PeerInfo& peer);
    http::Response token(const http::Request& request, const http::PeerInfo& peer);

    const ServiceContext& context_;
};

} // namespace azcm::emulator
