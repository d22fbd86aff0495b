#include "azcmagent/onboarding_control_plane.hpp"

#include "azcmagent/responses.hpp"
#include "common/config/local_config.hpp"
#include "common/http/proxy_url.hpp"
#include "common/json/json_document.hpp"
#include "common/log/log.hpp"

#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

using nlohmann::json;

json machinePutBody(const MachineRequest& request) {
    json properties{{"clientPublicKey", request.client_public_key}};
    if (!request.vm_uuid.empty()) {
        properties["vmUuid"] = request.vm_uuid;
    }
    if (!request.private_link_scope.empty()) {
        properties["privateLinkScopeResourceId"] = request.private_link_scope;
    }
    if (request.enable_automatic_upgrade) {
        properties["agentUpgrade"] = {{"enableAutomaticUpgrade", true}};
    }
    return json{{"location", request.location},
                {"tags", request.tags},
                {"identity", {{"type", "SystemAssigned"}}},
                {"properties", properties}};
}

std::string machineUrl(const std::string& arm,
                       const std::string& subscription_id,
                       const std::string& resource_group,
                       const std::string& resource_name) {
    return arm + "/subscriptions/" + subscription_id + "/resourceGroups/" + resource_group +
           "/providers/Microsoft.HybridCompute/machines/" + resource_name +
           "?api-version=" + kMachineApiVersion;
}

Result<config::ProxyPolicy> configuredProxy(const Environment& env) {
    auto local = config::loadLocalConfig(env.paths.localConfig());
    if (!local) {
        return makeError(exitcode::kLocalConfigRead,
                         "cannot read local config: " + local.error().message);
    }
    std::optional<std::string> environment_proxy;
    if (env.get_env) {
        environment_proxy = env.get_env("HTTPS_PROXY");
        if (!environment_proxy || environment_proxy->empty()) {
            environment_proxy = env.get_env("https_proxy");
        }
    }
    return config::ProxyPolicy(local.value(), std::move(environment_proxy));
}

namespace {

// An empty object unless the answer is a JSON object within the size and depth limits; the
// caller reads only type-checked fields from it.
json parseMachine(const std::string& body) {
    auto machine = jsondoc::parse(body, "the machine resource", {jsondoc::kNetworkMaxBytes});
    if (!machine || !machine.value().is_object()) {
        return json::object();
    }
    return std::move(machine).value();
}

} // namespace

ControlPlane::ControlPlane(const Environment& env,
                           config::CloudConfig cloud,
                           config::ProxyPolicy proxy)
    : env_(env), cloud_(std::move(cloud)), proxy_(std::move(proxy)) {}

Result<http::Response> ControlPlane::send(config::TargetService service,
                                          http::Verb method,
                                          const std::string& url,
                                          std::string body,
                                          const std::string& content_type,
                                          const std::string& token,
                                          int attempts) const {
    http::ClientOptions options;
    options.ca_file = cloud_.ca_cert_path;
    options.proxy_url = proxy_.proxyFor(service);
    options.retry.max_attempts = attempts;
    options.retry.initial_backoff = std::chrono::milliseconds(500);
    options.retry.max_backoff = std::chrono::milliseconds(5000);
    http::SimpleRequest request;
    request.method = method;
    request.url = url;
    request.body = std::move(body);
    request.headers.emplace_back("Accept", "application/json");
    if (!content_type.empty()) {
        request.headers.emplace_back("Content-Type", content_type);
    }
    if (!token.empty()) {
        request.headers.emplace_back("Authorization", "Bearer " + token);
    }
    spdlog::debug("HTTP_REQUEST {} {} proxy={}", std::string(http::beast_http::to_string(method)),
                  log::sanitize(url),
                  options.proxy_url ? http::redactProxyUrl(*options.proxy_url) : "none");
    auto response = env_.https(request, options);
    if (!response) {
        spdlog::warn("HTTP_FAILED {} {}: {}", std::string(http::beast_http::to_string(method)),
                     log::sanitize(url), log::sanitize(response.error().message));
        return makeError(exitcode::kNetwork,
                         "Network Error: cannot reach " + url + ": " + response.error().message);
    }
    spdlog::debug("HTTP_RESPONSE {} {}", response.value().result_int(), log::sanitize(url));
    return response;
}

Result<void> ControlPlane::checkConnectivity(const std::string& tenant) const {
    const auto url =
        cloud_.endpoints.entra + "/" + tenant + "/v2.0/.well-known/openid-configuration";
    BOOST_OUTCOME_TRY(response,
                      send(config::TargetService::kEntra, http::Verb::get, url, {}, {}, {}, 2));
    spdlog::info("NETWORK_CHECK_OK {} status={}", log::sanitize(url), response.result_int());
    return ok();
}

Result<std::string> ControlPlane::acquireToken(const std::string& tenant,
                                               const Credential& credential) const {
    if (credential.kind == Credential::Kind::kAccessToken) {
        return credential.access_token;
    }
    const auto token_url = cloud_.endpoints.entra + "/" + tenant + "/oauth2/v2.0/token";
    std::vector<std::pair<std::string, std::string>> form{
        {"grant_type", "client_credentials"},
        {"client_id", credential.client_id},
        {"scope", cloud_.endpoints.arm + "/.default"}};
    if (credential.kind == Credential::Kind::kSecret) {
        form.emplace_back("client_secret", credential.client_secret);
    } else {
        BOOST_OUTCOME_TRY(assertion,
                          makeClientAssertion(credential.certificate, credential.client_id,
                                              token_url, env_.now()));
        form.emplace_back("client_assertion_type",
                          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.emplace_back("client_assertion", std::move(assertion));
    }
    BOOST_OUTCOME_TRY(response, send(config::TargetService::kEntra, http::Verb::post, token_url,
                                     formEncode(form), "application/x-www-form-urlencoded", {}, 3));
    auto token = mapTokenResponse(response.result_int(), response.body());
    if (token) {
        spdlog::info("TOKEN_ACQUIRED client={}", log::sanitize(credential.client_id));
    }
    return token;
}

Result<json> ControlPlane::createMachine(const std::string& token,
                                         const MachineRequest& request) const {
    const auto url = machineUrl(cloud_.endpoints.arm, request.subscription_id,
                                request.resource_group, request.resource_name);
    const auto body = machinePutBody(request).dump();
    BOOST_OUTCOME_TRY(response, send(config::TargetService::kArm, http::Verb::put, url, body,
                                     "application/json", token, 3));
    BOOST_OUTCOME_TRY(outcome, mapMachinePutResponse(response.result_int(), response.body()));
    if (outcome == MachinePutOutcome::kResourceGroupMissing) {
        const auto group_url = cloud_.endpoints.arm + "/subscriptions/" + request.subscription_id +
                               "/resourcegroups/" + request.resource_group +
                               "?api-version=" + kResourceGroupApiVersion;
        const json group_body{{"location", request.location}};
        BOOST_OUTCOME_TRY(group_response,
                          send(config::TargetService::kArm, http::Verb::put, group_url,
                               group_body.dump(), "application/json", token, 3));
        BOOST_OUTCOME_TRY(
            mapResourceGroupPutResponse(group_response.result_int(), group_response.body()));
        spdlog::info("RESOURCE_GROUP_CREATED {}", log::sanitize(request.resource_group));
        BOOST_OUTCOME_TRY(retried, send(config::TargetService::kArm, http::Verb::put, url, body,
                                        "application/json", token, 3));
        BOOST_OUTCOME_TRY(retried_outcome,
                          mapMachinePutResponse(retried.result_int(), retried.body()));
        if (retried_outcome != MachinePutOutcome::kDone) {
            return makeError(exitcode::kCreateResourceFailed,
                             "Failed to create the Azure resource: the resource group is still "
                             "missing after it was created");
        }
        return parseMachine(retried.body());
    }
    return parseMachine(response.body());
}
Result<json> ControlPlane::getMachine(const std::string& token, const std::string& url) const {
    BOOST_OUTCOME_TRY(response,
                      send(config::TargetService::kArm, http::Verb::get, url, {}, {}, token, 3));
    if (response.result_int() != 200) {
        return makeError(exitcode::kCreateResourceFailed,
                         "cannot read the machine resource: HTTP " +
                             std::to_string(response.result_int()));
    }
    return parseMachine(response.body());
}

Result<void> ControlPlane::deleteMachine(const std::string& token,
                                         const std::string& subscription_id,
                                         const std::string& resource_group,
                                         const std::string& resource_name) const {
    const auto url =
        machineUrl(cloud_.endpoints.arm, subscription_id, resource_group, resource_name);
    BOOST_OUTCOME_TRY(
        response, send(config::TargetService::kArm, http::Verb::delete_, url, {}, {}, token, 3));
    const auto resource_id = "/subscriptions/" + subscription_id + "/resourceGroups/" +
                             resource_group + "/providers/Microsoft.HybridCompute/machines/" +
                             resource_name;
    BOOST_OUTCOME_TRY(
        mapMachineDeleteResponse(response.result_int(), response.body(), resource_id));
    spdlog::info("RESOURCE_DELETED {} status={}", log::sanitize(resource_id),
                 response.result_int());
    return ok();
}

Result<std::string> ControlPlane::requestCertificate(const std::string& token,
                                                     const std::string& resource_id,
                                                     const std::string& csr) const {
    const auto url = cloud_.endpoints.identity + "/machines/certificate";
    const json body{{"resourceId", resource_id}, {"csr", csr}};
    BOOST_OUTCOME_TRY(response, send(config::TargetService::kArc, http::Verb::post, url,
                                     body.dump(), "application/json", token, 3));
    return mapCertificateResponse(response.result_int(), response.body());
}

} // namespace azcm::azcmagent
