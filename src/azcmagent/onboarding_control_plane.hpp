#pragma once
// The control-plane calls of connect and disconnect: Entra ID (network check, token), ARM
// (machine and resource group) and the hybrid identity service (certificate issue,
// docs/protocol.md 2.1).
#include "azcmagent/credentials.hpp"
#include "azcmagent/environment.hpp"
#include "common/config/cloud_config.hpp"
#include "common/config/proxy_policy.hpp"
#include "common/error.hpp"

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

inline constexpr const char* kMachineApiVersion = "2024-07-10";
inline constexpr const char* kResourceGroupApiVersion = "2022-09-01";

struct MachineRequest {
    std::string subscription_id;
    std::string resource_group;
    std::string resource_name;
    std::string location;
    std::map<std::string, std::string> tags;
    std::string client_public_key; // base64 DER from himds
    std::string vm_uuid;
    std::string private_link_scope;
    // agentUpgrade.enableAutomaticUpgrade: true; left out otherwise, so a reconnect keeps what an
    // administrator set in ARM.
    bool enable_automatic_upgrade = false;
};

// The body of the machine PUT.
nlohmann::json machinePutBody(const MachineRequest& request);
std::string machineUrl(const std::string& arm,
                       const std::string& subscription_id,
                       const std::string& resource_group,
                       const std::string& resource_name);

// The proxy settings in force: localconfig.json's proxy.url and proxy.bypass, HTTPS_PROXY of the
// environment when proxy.url is empty.
Result<config::ProxyPolicy> configuredProxy(const Environment& env);

class ControlPlane {
public:
    ControlPlane(const Environment& env, config::CloudConfig cloud, config::ProxyPolicy proxy);

    // GET {entra}/{tenant}/v2.0/.well-known/openid-configuration: any HTTP answer proves the
    // path works; a transport failure is AZCM0026.
    Result<void> checkConnectivity(const std::string& tenant) const;
    // An ARM token: client credentials flow, or the access token itself.
    Result<std::string> acquireToken(const std::string& tenant, const Credential& credential) const;
    // PUT machine (creating the resource group when ARM says it is missing). The machine JSON.
    Result<nlohmann::json> createMachine(const std::string& token,
                                         const MachineRequest& request) const;
    Result<nlohmann::json> getMachine(const std::string& token, const std::string& url) const;
    Result<void> deleteMachine(const std::string& token,
                               const std::string& subscription_id,
                               const std::string& resource_group,
                               const std::string& resource_name) const;
    // POST {identity}/machines/certificate: the PEM chain.
    Result<std::string> requestCertificate(const std::string& token,
                                           const std::string& resource_id,
                                           const std::string& csr) const;

    const config::CloudConfig& cloud() const { return cloud_; }

private:
    // `service` decides the proxy (proxy.bypass names services, not hosts).
    Result<http::Response> send(config::TargetService service,
                                http::Verb method,
                                const std::string& url,
                                std::string body,
                                const std::string& content_type,
                                const std::string& token,
                                int attempts) const;

    const Environment& env_;
    config::CloudConfig cloud_;
    config::ProxyPolicy proxy_;
};

} // namespace azcm::azcmagent
