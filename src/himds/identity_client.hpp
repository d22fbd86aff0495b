#pragma once
// Calls to the hybrid identity service that authenticate with the machine certificate (mutual
// TLS): heartbeat and renewal (docs/protocol.md 2.2, 2.3). An interface so tests substitute a fake.
#include "common/error.hpp"
#include "himds/identity_files.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::himds {

struct ServiceEndpoint {
    std::string identity_url;         // endpoints.identity of agentconfig.json's cloud
    std::filesystem::path ca_file;    // cloud.caCertPath; empty: the system store
    std::optional<std::string> proxy; // proxy.url, else HTTPS_PROXY
};

// The default constructor cannot throw: json's is noexcept, and the throws the check finds are
// inside its body, which they cannot leave.
// NOLINTNEXTLINE(bugprone-exception-escape): noexcept default constructor, see above
struct ServiceReply {
    unsigned status = 0;
    nlohmann::json body; // null when the body of a refusal was not JSON
};

class IdentityServiceClient {
public:
    IdentityServiceClient() = default;
    virtual ~IdentityServiceClient() = default;
    IdentityServiceClient(const IdentityServiceClient&) = delete;
    IdentityServiceClient& operator=(const IdentityServiceClient&) = delete;
    IdentityServiceClient(IdentityServiceClient&&) = delete;
    IdentityServiceClient& operator=(IdentityServiceClient&&) = delete;

    // POST {identity}{route} with a JSON body, blocking; any HTTP status is a value, errors are
    // transport or TLS failures and successful answers that are not JSON within the limits. Called
    // from worker threads, so implementations must be thread-safe.
    virtual Result<ServiceReply> post(const ServiceEndpoint& endpoint,
                                      const MachineIdentity& identity,
                                      std::string_view route,
                                      const nlohmann::json& body) = 0;
};

std::shared_ptr<IdentityServiceClient> makeHttpsIdentityClient();

// "message" of an {"error": {...}} body, or "HTTP <status>".
std::string describeServiceError(const ServiceReply& reply);

} // namespace azcm::himds
