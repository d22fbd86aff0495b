#include "himds/identity_client.hpp"

#include "common/http/https_client.hpp"
#include "common/json/json_document.hpp"

namespace azcm::himds {

namespace {

class HttpsIdentityClient final : public IdentityServiceClient {
public:
    Result<ServiceReply> post(const ServiceEndpoint& endpoint,
                              const MachineIdentity& identity,
                              std::string_view route,
                              const nlohmann::json& body) override {
        http::ClientOptions options;
        options.ca_file = endpoint.ca_file;
        options.proxy_url = endpoint.proxy;
        options.client_certificate_pem = identity.certificate_pem;
        options.client_private_key_pem = identity.private_key_pem;
        // Bounded so a stop (which waits for the worker threads) never hangs for minutes; the
        // heartbeat loop has its own backoff on top.
        options.retry.max_attempts = 3;
        options.retry.max_backoff = std::chrono::seconds(5);
        options.request_timeout = std::chrono::seconds(30);
        http::HttpsClient client(std::move(options));

        http::SimpleRequest request;
        request.method = http::Verb::post;
        request.url = endpoint.identity_url + std::string(route);
        request.body = body.dump();
        request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
        BOOST_OUTCOME_TRY(response, client.send(request));

        ServiceReply reply;
        reply.status = response.result_int();
        auto answer = jsondoc::parse(response.body(),
                                     "the identity service's answer to " + std::string(route),
                                     {jsondoc::kNetworkMaxBytes});
        if (answer) {
            reply.body = std::move(answer).value();
        } else if (reply.status / 100 == 2) {
            return makeError(exitcode::kNetwork, answer.error().message);
        }
        return reply;
    }
};

} // namespace

std::shared_ptr<IdentityServiceClient> makeHttpsIdentityClient() {
    return std::make_shared<HttpsIdentityClient>();
}

std::string describeServiceError(const ServiceReply& reply) {
    std::string text = "HTTP " + std::to_string(reply.status);
    if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_object()) {
        const auto& error = reply.body["error"];
        if (error.contains("code") && error["code"].is_string()) {
            text += " " + error["code"].get<std::string>();
        }
        if (error.contains("message") && error["message"].is_string()) {
            text += ": " + error["message"].get<std::string>();
        }
    }
    return text;
}

} // namespace azcm::himds
