#pragma once
// Where managed identity tokens come from: POST {identity}/machines/token over mutual TLS with the
// machine certificate (docs/protocol.md 2.5), and the JSON himds answers with (docs/imds.md).
#include "himds/identity_client.hpp"
#include "himds/token_cache.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::himds {

// What a fetch needs: the current certificate (renewals replace it) and how to reach the service.
struct TokenCredentials {
    MachineIdentity machine;
    ServiceEndpoint endpoint;
};

// Shared between the io thread, which publishes credentials, and the workers that fetch.
class CredentialSlot {
public:
    void publish(std::shared_ptr<const TokenCredentials> credentials);
    std::shared_ptr<const TokenCredentials> current() const;

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const TokenCredentials> credentials_;
};

inline constexpr std::size_t kMaxResourceLength = 2048;
// A resource a caller may ask a token for: 1 to 2048 printable ASCII characters, no spaces (the
// control plane checks it is a URI).
bool validResource(std::string_view resource);

// Reads a 200 answer of /machines/token; anything else becomes an error carrying its status.
Result<ManagedIdentityToken> parseTokenReply(const ServiceReply& reply);

// A TokenFetcher for TokenCache calling the identity service with the slot's credentials.
TokenFetcher makeIdentityServiceFetcher(std::shared_ptr<IdentityServiceClient> client,
                                        std::shared_ptr<const CredentialSlot> slot);

// The token answer: all values strings, as Azure's IMDS sends them, plus client_id and object_id.
// `resource` echoes what the caller asked for.
nlohmann::json
tokenResponseJson(const ManagedIdentityToken& token, const std::string& resource, WallTime now);

} // namespace azcm::himds
