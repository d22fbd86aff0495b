#include "common/config/cloud_config.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/http/url.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"

#include <nlohmann/json.hpp>

namespace azcm::config {

using nlohmann::json;

CloudConfig azurePublicCloud() {
    CloudConfig cloud;
    cloud.name = "AzureCloud";
    cloud.endpoints.entra = "https://login.microsoftonline.com";
    cloud.endpoints.arm = "https://management.azure.com";
    cloud.endpoints.identity = "https://gbl.his.arc.azure.com";
    cloud.endpoints.guest_configuration = "https://agentserviceapi.guestconfiguration.azure.com";
    return cloud;
}

namespace {

Result<std::string> requireHttpsUrl(const json& object, const char* key) {
    if (!object.contains(key) || !object.at(key).is_string()) {
        return makeError(exitcode::kCloudConfig,
                         std::string("cloud config: endpoints.") + key + " must be a string");
    }
    auto value = object.at(key).get<std::string>();
    auto url = http::parseUrl(value);
    if (!url || url.value().scheme != "https") {
        return makeError(exitcode::kCloudConfig, std::string("cloud config: endpoints.") + key +
                                                     " must be an https URL, got '" + value + "'");
    }
    while (!value.empty() && value.back() == '/') {
        value.pop_back();
    }
    return value;
}

Result<std::string> optionalString(const json& object, const char* key) {
    BOOST_OUTCOME_TRY(value,
                      jsondoc::withCode(jsondoc::getOptionalString(object, key, "cloud config"),
                                        exitcode::kCloudConfig));
    return value.value_or(std::string());
}

} // namespace

Result<CloudConfig> parseCloudConfig(const json& document) {
    if (!document.is_object() || !document.contains("endpoints") ||
        !document.at("endpoints").is_object()) {
        return makeError(exitcode::kCloudConfig,
                         "cloud config: an object with 'endpoints' expected");
    }
    CloudConfig cloud;
    AZCM_ASSIGN_OR_RETURN(cloud.name, optionalString(document, "name"));
    if (cloud.name.empty()) {
        cloud.name = "Custom";
    }
    AZCM_ASSIGN_OR_RETURN(cloud.tenant_id, optionalString(document, "tenantId"));
    AZCM_ASSIGN_OR_RETURN(cloud.subscription_id, optionalString(document, "subscriptionId"));
    AZCM_ASSIGN_OR_RETURN(cloud.ca_cert_path, optionalString(document, "caCertPath"));
    if (!cloud.ca_cert_path.empty() && cloud.ca_cert_path.front() != '/') {
        return makeError(exitcode::kCloudConfig, "cloud config: caCertPath must be absolute");
    }
    AZCM_ASSIGN_OR_RETURN(cloud.package_signing_root_path,
                          optionalString(document, "packageSigningRootPath"));
    if (!cloud.package_signing_root_path.empty() &&
        cloud.package_signing_root_path.front() != '/') {
        return makeError(exitcode::kCloudConfig,
                         "cloud config: packageSigningRootPath must be absolute");
    }
    const auto& endpoints = document.at("endpoints");
    AZCM_ASSIGN_OR_RETURN(cloud.endpoints.entra, requireHttpsUrl(endpoints, "entra"));
    AZCM_ASSIGN_OR_RETURN(cloud.endpoints.arm, requireHttpsUrl(endpoints, "arm"));
    AZCM_ASSIGN_OR_RETURN(cloud.endpoints.identity, requireHttpsUrl(endpoints, "identity"));
    AZCM_ASSIGN_OR_RETURN(cloud.endpoints.guest_configuration,
                          requireHttpsUrl(endpoints, "guestConfiguration"));
    return cloud;
}

Result<CloudConfig> loadCloudConfig(const std::filesystem::path& path) {
    auto text = fs::readFile(path, 1 << 20);
    if (!text) {
        return makeError(exitcode::kCloudConfig,
                         "cannot read cloud config: " + text.error().message);
    }
    auto document = jsondoc::parse(text.value(), "cloud config " + path.string());
    if (!document) {
        return makeError(exitcode::kCloudConfig, document.error().message);
    }
    return parseCloudConfig(document.value());
}

json toJson(const CloudConfig& cloud) {
    auto document = json{{"name", cloud.name},
                         {"tenantId", cloud.tenant_id},
                         {"subscriptionId", cloud.subscription_id},
                         {"caCertPath", cloud.ca_cert_path},
                         {"endpoints",
                          {{"entra", cloud.endpoints.entra},
                           {"arm", cloud.endpoints.arm},
                           {"identity", cloud.endpoints.identity},
                           {"guestConfiguration", cloud.endpoints.guest_configuration}}}};
    if (!cloud.package_signing_root_path.empty()) {
        document["packageSigningRootPath"] = cloud.package_signing_root_path;
    }
    return document;
}

} // namespace azcm::config
