#include "azcmagent/responses.hpp"

#include "common/json/json_document.hpp"
#include "common/log/log.hpp"

#include <cctype>
#include <cstdio>

namespace azcm::azcmagent {

using nlohmann::json;

namespace {

// Text from the network goes into messages (and the log) only escaped and bounded.
std::string clean(std::string_view text) {
    constexpr std::size_t kMaxLength = 1000;
    return log::untrusted(text, kMaxLength);
}

std::string describe(unsigned status, std::string_view body) {
    const auto error = parseServiceError(body);
    std::string text = "HTTP " + std::to_string(status);
    if (!error.code.empty()) {
        text += " " + error.code;
    }
    if (!error.message.empty()) {
        text += ": " + error.message;
    }
    return text;
}

std::string asSentence(std::string text) {
    if (text.empty() || text.back() != '.') {
        text += '.';
    }
    return text;
}

// Null unless the body is a JSON object within the size and depth limits.
json parseObject(std::string_view body) {
    auto document = jsondoc::parse(body, "the answer", {jsondoc::kNetworkMaxBytes});
    return document && document.value().is_object() ? std::move(document).value() : json();
}

std::string stringField(const json& object, const char* key) {
    if (object.is_object()) {
        if (auto it = object.find(key); it != object.end() && it->is_string()) {
            return it->get<std::string>();
        }
    }
    return {};
}

} // namespace

ServiceError parseServiceError(std::string_view body) {
    const auto document = parseObject(body);
    ServiceError error;
    if (!document.is_object()) {
        return error;
    }
    if (auto it = document.find("error"); it != document.end()) {
        if (it->is_object()) {
            error.code = clean(stringField(*it, "code"));
            error.message = clean(stringField(*it, "message"));
        } else if (it->is_string()) {
            error.code = clean(it->get<std::string>());
            error.message = clean(stringField(document, "error_description"));
        }
    }
    return error;
}

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
    auto encode = [](std::string_view text) {
        std::string out;
        for (unsigned char c : text) {
            if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
                out += static_cast<char>(c);
            } else {
                char buffer[4];
                std::snprintf(buffer, sizeof(buffer), "%%%02X", c);
                out += buffer;
            }
        }
        return out;
    };
    std::string body;
    for (const auto& [key, value] : fields) {
        if (!body.empty()) {
            body += '&';
        }
        body += encode(key) + '=' + encode(value);
    }
    return body;
}

Result<std::string> mapTokenResponse(unsigned status, std::string_view body) {
    if (status == 200) {
        auto token = stringField(parseObject(body), "access_token");
        if (token.empty()) {
            return makeError(exitcode::kTokenFailed,
                             "the token endpoint answered without an access_token");
        }
        return token;
    }
    const auto error = parseServiceError(body);
    if (status == 400 || status == 401) {
        return makeError(exitcode::kTokenFailed,
                         "Failed to obtain an access token: invalid credentials (" +
                             (error.message.empty() ? describe(status, body) : error.message) +
                             ")");
    }
    return makeError(exitcode::kTokenFailed,
                     "Failed to obtain an access token: " + describe(status, body));
}

Result<MachinePutOutcome> mapMachinePutResponse(unsigned status, std::string_view body) {
    if (status == 200 || status == 201) {
        return MachinePutOutcome::kDone;
    }
    if (status == 404 && parseServiceError(body).code == "ResourceGroupNotFound") {
        return MachinePutOutcome::kResourceGroupMissing;
    }
    std::string hint;
    if (status == 401 || status == 403) {
        hint = " (the credential needs the Azure Connected Machine Onboarding role or "
               "Microsoft.HybridCompute/machines/write on the resource group)";
    }
    return makeError(exitcode::kCreateResourceFailed,
                     "Failed to create the Azure resource: " + describe(status, body) + hint);
}

Result<void> mapResourceGroupPutResponse(unsigned status, std::string_view body) {
    if (status == 200 || status == 201) {
        return ok();
    }
    return makeError(exitcode::kCreateResourceFailed,
                     "Failed to create the resource group: " + describe(status, body));
}

Result<void>
mapMachineDeleteResponse(unsigned status, std::string_view body, std::string_view resource_id) {
    if (status == 200 || status == 202 || status == 204 || status == 404) {
        return ok();
    }
    return makeError(exitcode::kDeleteResourceFailed,
                     "Failed to delete the Azure resource " + std::string(resource_id) + ": " +
                         asSentence(describe(status, body)) +
                         " Use --force-local-only to clean up locally if the resource is gone or "
                         "will be deleted separately");
}

Result<std::string> mapCertificateResponse(unsigned status, std::string_view body) {
    if (status == 200) {
        Result<std::string> certificate = stringField(parseObject(body), "certificate");
        if (certificate.value().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
            return makeError(exitcode::kCertificateDownload,
                             "Failed to get the managed identity certificate: the answer holds "
                             "no PEM certificate");
        }
        return certificate;
    }
    return makeError(exitcode::kCertificateDownload,
                     "Failed to get the managed identity certificate from the identity service: " +
                         describe(status, body));
}

Result<HimdsKeys> mapHimdsKeysResponse(unsigned status, std::string_view body) {
    if (status == 200) {
        const auto document = parseObject(body);
        HimdsKeys keys{stringField(document, "publicKey"), stringField(document, "csr")};
        if (keys.public_key.empty() || keys.csr.empty()) {
            return makeError(exitcode::kHimdsCommunication,
                             "himds answered /identity/keys without publicKey and csr");
        }
        return keys;
    }
    return makeError(exitcode::kHimdsCommunication,
                     "himds refused to generate the machine key: " + describe(status, body));
}

Result<void> mapHimdsActivateResponse(unsigned status, std::string_view body) {
    if (status == 200) {
        return ok();
    }
    return makeError(exitcode::kConnectFailed,
                     "himds did not accept the machine certificate: " + describe(status, body));
}

std::string portalPage(std::string_view tenant_id, std::string_view resource_id) {
    return "https://portal.azure.com/#@" + std::string(tenant_id) + "/resource" +
           std::string(resource_id);
}

} // namespace azcm::azcmagent
