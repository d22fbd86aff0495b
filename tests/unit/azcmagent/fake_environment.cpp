#include "fake_environment.hpp"

#include "common/config/agent_config.hpp"
#include "common/fs/atomic_file.hpp"

namespace azcm::azcmagent::test {

using nlohmann::json;

namespace {

http::Response makeResponse(unsigned status, std::string body) {
    http::Response response{static_cast<http::Status>(status), 11};
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

std::string header(const http::SimpleRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

} // namespace

FakeEnvironment::FakeEnvironment() {
    env_.paths = Paths(dir_.path());
    env_.is_elevated = [this] { return elevated; };
    env_.is_azure_vm = [this] { return azure_vm; };
    env_.host_name = [] { return std::string("web01"); };
    env_.get_env = [this](const std::string& name) -> std::optional<std::string> {
        auto it = environment.find(name);
        return it == environment.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    env_.machine_facts = [] {
        platform::MachineFacts facts;
        facts.manufacturer = "QEMU";
        facts.model = "Standard PC";
        facts.vm_uuid = "11111111-2222-3333-4444-555555555555";
        return facts;
    };
    env_.himds = [this](http::Verb method, const std::string& target, const std::string& body,
                        std::chrono::milliseconds) { return answerHimds(method, target, body); };
    env_.https = [this](const http::SimpleRequest& request, const http::ClientOptions&) {
        return answerHttps(request);
    };
    env_.now = azcm::wallClock();
    env_.in = &in_;
    env_.out = &out_;
    env_.err = &err_;
    env_.interactive = false;
}

Result<http::Response> FakeEnvironment::answerHimds(http::Verb method,
                                                    const std::string& target,
                                                    const std::string& body) {
    himds_calls.push_back({std::string(http::beast_http::to_string(method)), target, body, {}});
    if (!himds_up) {
        return makeError(exitcode::kHimdsUnreachable, "connect: no such file or directory");
    }
    if (target == "/status") {
        return makeResponse(200, himds_status.dump());
    }
    if (target == "/identity/keys") {
        return makeResponse(200, json{{"publicKey", "PUBKEY"}, {"csr", "CSR-PEM"}}.dump());
    }
    if (target == "/identity/activate") {
        return makeResponse(200, himds_status.dump());
    }
    if (target == "/agentupgrade/result") {
        return makeResponse(200, "{}");
    }
    if (target == "/identity/deactivate") {
        return makeResponse(200, R"({"status":"Disconnected"})");
    }
    return makeResponse(404, "{}");
}

Result<http::Response> FakeEnvironment::answerHttps(const http::SimpleRequest& request) {
    const std::string method(http::beast_http::to_string(request.method));
    https_calls.push_back({method, request.url, request.body, header(request, "Authorization")});
    if (network_down) {
        return makeError(exitcode::kNetwork, "connection refused");
    }
    std::string key;
    std::pair<unsigned, std::string> fallback{200, "{}"};
    if (request.url.find("openid-configuration") != std::string::npos) {
        key = "openid";
    } else if (request.url.find("/oauth2/v2.0/token") != std::string::npos) {
        key = "token";
        fallback.second = R"({"access_token":"arm-token","token_type":"Bearer"})";
    } else if (request.url.find("/machines/certificate") != std::string::npos) {
        key = "cert";
        fallback.second = json{{"certificate", kFakeCertificatePem}}.dump();
    } else if (request.url.find("/resourcegroups/") != std::string::npos) {
        key = "rg";
        fallback.first = 201;
    } else if (request.method == http::Verb::put) {
        key = ++machine_puts == 1 && answers.count("put_first") != 0 ? "put_first" : "put";
        fallback.second = R"({"properties":{"vmId":"vm-123"}})";
    } else if (request.method == http::Verb::get) {
        key = "get";
    } else if (request.method == http::Verb::delete_) {
        key = "delete";
    }
    auto it = answers.find(key);
    const auto& answer = it == answers.end() ? fallback : it->second;
    return makeResponse(answer.first, answer.second);
}

void writeConnectedConfig(const Environment& env) {
    config::AgentConfig config;
    config.tenant_id = "tenant-1";
    config.subscription_id = "sub-1";
    config.resource_group = "rg-1";
    config.resource_name = "web01";
    config.location = "eastus";
    config.vm_id = "vm-1";
    config.cloud = config::azurePublicCloud();
    if (!fs::ensureDirectory(env.paths.agentDataDir())) {
        throw std::runtime_error("cannot create agent data dir");
    }
    if (!config::saveAgentConfig(env.paths.agentConfig(), config)) {
        throw std::runtime_error("cannot write agentconfig.json");
    }
}

} // namespace azcm::azcmagent::test
