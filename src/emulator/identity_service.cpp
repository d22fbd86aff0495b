#include "emulator/identity_service.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/x509.hpp"
#include "common/log/log.hpp"
#include "emulator/arm_service.hpp"
#include "emulator/http_util.hpp"
#include "emulator/machine_agent_upgrade.hpp"
#include "emulator/machine_auth.hpp"
#include "emulator/machine_view.hpp"
#include "emulator/rbac.hpp"
#include "emulator/token_service.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

namespace azcm::emulator {

using nlohmann::json;

namespace {

struct IssuedCertificate {
    std::string chain_pem;
    crypto::CertificateInfo info;
};

Result<IssuedCertificate> issueMachineCertificate(const ServiceContext& context,
                                                  const MachineRecord& machine,
                                                  const std::string& public_key_der) {
    crypto::IssueRequest issue;
    issue.subject_common_name = machine.vm_id;
    issue.subject_public_key_der = public_key_der;
    issue.usage = crypto::CertificateUsage::kClient;
    // Back-dated for clock skew; notAfter is still now + --cert-lifetime. The back-dating is a
    // small part of short test lifetimes, so the agent's half-life renewal rule still holds.
    const auto backdate =
        std::min<std::chrono::seconds>(std::chrono::minutes(5), context.options.cert_lifetime / 10);
    issue.not_before = context.clock() - backdate;
    issue.lifetime = context.options.cert_lifetime + backdate;
    BOOST_OUTCOME_TRY(
        leaf, crypto::issueCertificatePem(context.pki.ca_cert_pem, context.pki.ca_key_pem, issue));
    BOOST_OUTCOME_TRY(info, crypto::parseCertificatePem(leaf));
    std::string chain = leaf;
    if (!chain.empty() && chain.back() != '\n') {
        chain.push_back('\n');
    }
    chain += context.pki.ca_cert_pem;
    return IssuedCertificate{std::move(chain), std::move(info)};
}

json certificateAnswer(const IssuedCertificate& issued) {
    return json{{"certificate", issued.chain_pem},
                {"thumbprint", issued.info.thumbprint_sha1_hex},
                {"notBefore", rfc3339(issued.info.not_before)},
                {"notAfter", rfc3339(issued.info.not_after)}};
}

void recordCertificate(MachineRecord& machine, const IssuedCertificate& issued) {
    machine.cert_serial = issued.info.serial_hex;
    machine.cert_thumbprint = issued.info.thumbprint_sha1_hex;
    machine.cert_not_after = toUnixSeconds(issued.info.not_after);
}

std::optional<std::string> csrOf(const json& body) {
    if (!body.contains("csr") || !body.at("csr").is_string()) {
        return std::nullopt;
    }
    return body.at("csr").get<std::string>();
}

// Copies one optional string field; false when present with another type.
bool copyString(const json& from, const char* key, json& to, const char* as) {
    if (!from.contains(key) || from.at(key).is_null()) {
        return true;
    }
    if (!from.at(key).is_string()) {
        return false;
    }
    to[as] = from.at(key);
    return true;
}

// The heartbeat's machine facts, in the shape of the ARM machine properties.
Result<void> applyMachineFacts(const json& facts, json& properties) {
    if (!facts.is_object()) {
        return makeError(exitcode::kInvalidArgument, "machine must be an object");
    }
    bool valid = copyString(facts, "osName", properties, "osName") &&
                 copyString(facts, "osVersion", properties, "osVersion") &&
                 copyString(facts, "osType", properties, "osType") &&
                 copyString(facts, "osSku", properties, "osSku") &&
                 copyString(facts, "fqdn", properties, "machineFqdn") &&
                 copyString(facts, "fqdn", properties, "dnsFqdn") &&
                 copyString(facts, "domainName", properties, "domainName") &&
                 copyString(facts, "vmUuid", properties, "vmUuid");
    json detected =
        properties.contains("detectedProperties") && properties.at("detectedProperties").is_object()
            ? properties.at("detectedProperties")
            : json::object();
    valid = valid && copyString(facts, "cpuModel", detected, "processorNames") &&
            copyString(facts, "manufacturer", detected, "manufacturer") &&
            copyString(facts, "model", detected, "model") &&
            copyString(facts, "serialNumber", detected, "serialNumber");
    if (!valid) {
        return makeError(exitcode::kInvalidArgument, "machine facts must be strings");
    }
    const auto number = [&](const char* key) -> std::optional<std::int64_t> {
        if (facts.contains(key) && facts.at(key).is_number_integer()) {
            return facts.at(key).get<std::int64_t>();
        }
        return std::nullopt;
    };
    if (const auto cores = number("logicalCores")) {
        detected["logicalCoreCount"] = std::to_string(*cores);
        detected["coreCount"] = std::to_string(*cores);
    }
    if (const auto sockets = number("cpuSockets")) {
        detected["processorCount"] = std::to_string(*sockets);
    }
    if (const auto memory = number("totalMemoryMb")) {
        detected["totalPhysicalMemoryInBytes"] = std::to_string(*memory * 1024 * 1024);
        detected["totalPhysicalMemoryInGigabytes"] = std::to_string((*memory + 512) / 1024);
    }
    detected["cloudprovider"] = "N/A";
    if (!detected.contains("mssqldiscovered")) {
        detected["mssqldiscovered"] = "false";
    }
    properties["detectedProperties"] = detected;
    if (facts.contains("hostName") && facts.at("hostName").is_string()) {
        properties["osProfile"] = json{{"computerName", facts.at("hostName")}};
    }
    return ok();
}

} // namespace

http::Response IdentityService::handle(const http::Request& request,
                                       const http::PeerInfo& peer,
                                       const std::vector<std::string>& segments) {
    const auto is = [&](std::size_t index, std::string_view value) {
        return segments.size() > index && equalsIgnoreCase(segments[index], value);
    };
    const bool known =
        (segments.size() == 2 && is(0, "machines") &&
         (is(1, "certificate") || is(1, "heartbeat") || is(1, "token"))) ||
        (segments.size() == 3 && is(0, "machines") && is(1, "certificate") && is(2, "renew"));
    if (!known) {
        return errorResponse(request, http::Status::not_found, "NotFound",
                             "No such identity service route.");
    }
    if (request.method() != http::Verb::post) {
        return errorResponse(request, http::Status::method_not_allowed, "MethodNotAllowed",
                             "Identity service routes accept POST only.");
    }
    if (segments.size() == 3) {
        return renew(request, peer);
    }
    if (is(1, "heartbeat")) {
        return heartbeat(request, peer);
    }
    if (is(1, "token")) {
        return token(request, peer);
    }
    return issue(request);
}

http::Response IdentityService::issue(const http::Request& request) {
    const auto authentication = authenticateArm(context_, request);
    if (!authentication.caller) {
        return authenticationFailure(context_, request, authentication);
    }
    const auto body = parseJsonObject(request.body());
    if (!body || !body->contains("resourceId") || !body->at("resourceId").is_string()) {
        return errorResponse(request, http::Status::bad_request, "InvalidRequest",
                             "The body must be {\"resourceId\": \"...\", \"csr\": \"...\"}.");
    }
    const auto csr = csrOf(*body);
    if (!csr) {
        return errorResponse(request, http::Status::bad_request, "InvalidRequest",
                             "The body must carry the CSR in \"csr\".");
    }
    const std::string resource_id = body->at("resourceId").get<std::string>();
    const auto ref = parseMachineId(resource_id);
    if (!ref) {
        return errorResponse(request, http::Status::bad_request, "InvalidResourceId",
                             "'" + resource_id + "' is not a Microsoft.HybridCompute machine id.");
    }
    auto assignments = context_.store.roleAssignmentsFor(authentication.caller->object_id);
    if (!assignments) {
        return internalError(request, assignments.error());
    }
    const std::string scope = resourceGroupId(ref->subscription_id, ref->resource_group) +
                              "/providers/Microsoft.HybridCompute/machines/" + ref->name;
    if (!isAuthorized(assignments.value(), actions::kMachineWrite, scope)) {
        return authorizationFailed(request, *authentication.caller, actions::kMachineWrite, scope);
    }
    auto found = context_.store.findMachine(ref->subscription_id, ref->resource_group, ref->name);
    if (!found) {
        return internalError(request, found.error());
    }
    if (!found.value()) {
        return errorResponse(request, http::Status::not_found, "ResourceNotFound",
                             "The machine '" + resource_id + "' does not exist.");
    }
    MachineRecord machine = std::move(*found.value());
    auto parsed = crypto::parseCsr(*csr);
    if (!parsed) {
        return errorResponse(request, http::Status::bad_request, "InvalidCsr",
                             "The CSR is invalid: " + parsed.error().message);
    }
    auto expected_key = crypto::base64Decode(machine.client_public_key);
    if (machine.client_public_key.empty() || !expected_key ||
        expected_key.value() != parsed.value().public_key_der) {
        return errorResponse(request, http::Status::bad_request, "PublicKeyMismatch",
                             "The CSR's public key is not the machine's clientPublicKey.");
    }
    auto issued = issueMachineCertificate(context_, machine, parsed.value().public_key_der);
    if (!issued) {
        return internalError(request, issued.error());
    }
    recordCertificate(machine, issued.value());
    refreshStatus(machine, context_.clock(), context_.options.heartbeat_timeout);
    auto stored = context_.store.putMachine(machine);
    if (!stored) {
        return internalError(request, stored.error());
    }
    spdlog::info("EMULATOR_CERT_ISSUED machine={} thumbprint={}", log::sanitize(machineId(machine)),
                 issued.value().info.thumbprint_sha1_hex);
    return jsonResponse(request, http::Status::ok, certificateAnswer(issued.value()));
}

namespace {

constexpr std::size_t kMaxResourceLength = 2048;

// An absolute URI: scheme ":" "//" authority ..., printable ASCII without spaces. The audience
// ends up in a signed token, so anything odd is refused rather than passed on.
bool isAbsoluteUri(const std::string& text) {
    if (text.empty() || text.size() > kMaxResourceLength) {
        return false;
    }
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f) {
            return false;
        }
    }
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string::npos || scheme_end == 0 ||
        !std::isalpha(static_cast<unsigned char>(text.front()))) {
        return false;
    }
    for (std::size_t i = 1; i < scheme_end; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (!std::isalnum(byte) && byte != '+' && byte != '-' && byte != '.') {
            return false;
        }
    }
    const auto authority = text.substr(scheme_end + 3);
    return !authority.empty() && authority.front() != '/';
}

// The token audience: the resource as given, minus a "/.default" scope suffix.
std::string audienceOf(const std::string& resource) {
    constexpr std::string_view kDefaultScope = "/.default";
    if (resource.size() > kDefaultScope.size() &&
        resource.compare(resource.size() - kDefaultScope.size(), kDefaultScope.size(),
                         kDefaultScope) == 0) {
        return resource.substr(0, resource.size() - kDefaultScope.size());
    }
    return resource;
}

// A stable client id for the machine's identity, derived from its principal id so every
// existing database has one without a schema change and it never changes while the identity
// lives (a new identity gets a new principal id and so a new client id).
std::string clientIdFor(const std::string& principal_id) {
    std::string digest = crypto::sha256("azcm-emulator-mi-client-id:" + principal_id);
    digest.resize(16);
    digest[6] = static_cast<char>((static_cast<unsigned char>(digest[6]) & 0x0f) | 0x50);
    digest[8] = static_cast<char>((static_cast<unsigned char>(digest[8]) & 0x3f) | 0x80);
    const std::string hex = crypto::hexEncode(digest);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

// xms_mirid in the casing ARM puts into managed identity tokens ("resourcegroups").
std::string managedIdentityResourceId(const MachineRecord& machine) {
    return "/subscriptions/" + machine.subscription_id + "/resourcegroups/" +
           machine.resource_group + "/providers/Microsoft.HybridCompute/machines/" + machine.name;
}

} // namespace

http::Response IdentityService::heartbeat(const http::Request& request,
                                          const http::PeerInfo& peer) {
    auto lookup = machineForPeer(context_, request, peer);
    if (lookup.failure) {
        return std::move(*lookup.failure);
    }
    MachineRecord& machine = *lookup.machine;
    const auto body = parseJsonObject(request.body());
    if (!body) {
        return errorResponse(request, http::Status::bad_request, "InvalidRequest",
                             "The heartbeat body must be a JSON object.");
    }
    json properties = machine.properties;
    if (body->contains("agentVersion") && !body->at("agentVersion").is_null()) {
        if (!body->at("agentVersion").is_string()) {
            return errorResponse(request, http::Status::bad_request, "InvalidRequest",
                                 "agentVersion must be a string.");
        }
        properties["agentVersion"] = body->at("agentVersion");
    }
    if (body->contains("machine") && !body->at("machine").is_null()) {
        auto applied = applyMachineFacts(body->at("machine"), properties);
        if (!applied) {
            return errorResponse(request, http::Status::bad_request, "InvalidRequest",
                                 applied.error().message);
        }
    }
    if (body->contains("agentConfiguration") && !body->at("agentConfiguration").is_null()) {
        if (!body->at("agentConfiguration").is_object()) {
            return errorResponse(request, http::Status::bad_request, "InvalidRequest",
                                 "agentConfiguration must be an object.");
        }
        properties["agentConfiguration"] = body->at("agentConfiguration");
    }
    if (body->contains(kAgentUpgradeProperty) && !body->at(kAgentUpgradeProperty).is_null()) {
        auto reported = applyAgentUpgradeReport(properties, body->at(kAgentUpgradeProperty));
        if (!reported) {
            return errorResponse(request, http::Status::bad_request, "InvalidRequest",
                                 reported.error().message);
        }
    }
    const auto now = context_.clock();
    machine.properties = std::move(properties);
    machine.last_heartbeat = toUnixSeconds(now);
    refreshStatus(machine, now, context_.options.heartbeat_timeout);
    auto stored = context_.store.putMachine(machine);
    if (!stored) {
        return internalError(request, stored.error());
    }
    spdlog::debug("EMULATOR_HEARTBEAT machine={}", log::sanitize(machineId(machine)));
    return jsonResponse(request, http::Status::ok,
                        json{{"status", machine.status},
                             {"vmId", machine.vm_id},
                             {"resourceId", machineId(machine)},
                             {"location", machine.location},
                             {"tags", machine.tags},
                             {kAgentUpgradeProperty, agentUpgradeDirective(machine.properties)}});
}

http::Response IdentityService::renew(const http::Request& request, const http::PeerInfo& peer) {
    auto lookup = machineForPeer(context_, request, peer);
    if (lookup.failure) {
        return std::move(*lookup.failure);
    }
    MachineRecord& machine = *lookup.machine;
    const auto body = parseJsonObject(request.body());
    const auto csr = body ? csrOf(*body) : std::nullopt;
    if (!csr) {
        return errorResponse(request, http::Status::bad_request, "InvalidRequest",
                             "The body must be {\"csr\": \"<PEM>\"}.");
    }
    auto parsed = crypto::parseCsr(*csr);
    if (!parsed) {
        return errorResponse(request, http::Status::bad_request, "InvalidCsr",
                             "The CSR is invalid: " + parsed.error().message);
    }
    auto issued = issueMachineCertificate(context_, machine, parsed.value().public_key_der);
    if (!issued) {
        return internalError(request, issued.error());
    }
    recordCertificate(machine, issued.value());
    machine.client_public_key = crypto::base64Encode(parsed.value().public_key_der);
    refreshStatus(machine, context_.clock(), context_.options.heartbeat_timeout);
    auto stored = context_.store.putMachine(machine);
    if (!stored) {
        return internalError(request, stored.error());
    }
    spdlog::info("EMULATOR_CERT_RENEWED machine={} thumbprint={}",
                 log::sanitize(machineId(machine)), issued.value().info.thumbprint_sha1_hex);
    return jsonResponse(request, http::Status::ok, certificateAnswer(issued.value()));
}

http::Response IdentityService::token(const http::Request& request, const http::PeerInfo& peer) {
    auto lookup = machineForPeer(context_, request, peer);
    if (lookup.failure) {
        return std::move(*lookup.failure);
    }
    const MachineRecord& machine = *lookup.machine;
    const auto body = parseJsonObject(request.body());
    if (!body || !body->contains("resource") || !body->at("resource").is_string()) {
        return errorResponse(request, http::Status::bad_request, "InvalidRequest",
                             "The body must be {\"resource\": \"<audience URI>\"}.");
    }
    const std::string resource = body->at("resource").get<std::string>();
    if (!isAbsoluteUri(resource)) {
        return errorResponse(request, http::Status::bad_request, "InvalidResource",
                             "The resource must be an absolute URI of at most 2048 printable "
                             "characters.");
    }
    if (machine.identity_type.empty() || machine.principal_id.empty()) {
        return errorResponse(request, http::Status::bad_request, "ManagedIdentityNotEnabled",
                             "The machine has no system-assigned managed identity.");
    }
    auto settings = context_.store.settings();
    if (!settings) {
        return internalError(request, settings.error());
    }
    ManagedIdentityGrant grant;
    grant.principal_id = machine.principal_id;
    grant.client_id = clientIdFor(machine.principal_id);
    grant.resource_id = managedIdentityResourceId(machine);
    grant.audience = audienceOf(resource);
    const auto issued_at = toUnixSeconds(context_.clock());
    auto jwt = issueManagedIdentityToken(context_, grant, settings.value().tenant_id, issued_at);
    if (!jwt) {
        return internalError(request, jwt.error());
    }
    const auto lifetime = context_.options.mi_token_lifetime.count();
    spdlog::info("EMULATOR_MI_TOKEN machine={} audience={}", log::sanitize(machineId(machine)),
                 log::sanitize(grant.audience));
    return jsonResponse(request, http::Status::ok,
                        json{{"access_token", jwt.value()},
                             {"expires_in", std::to_string(lifetime)},
                             {"expires_on", std::to_string(issued_at + lifetime)},
                             {"not_before", std::to_string(issued_at)},
                             {"resource", resource},
                             {"token_type", "Bearer"},
                             {"client_id", grant.client_id},
                             {"object_id", grant.principal_id}});
}

} // namespace azcm::emulator
