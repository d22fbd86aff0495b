#pragma once
// An Environment whose files live in a temp dir and whose himds and control plane are scripted
// in memory, recording every call, so whole commands run in-process.
#include "azcmagent/environment.hpp"
#include "temp_dir.hpp"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent::test {

struct RecordedCall {
    std::string method;
    std::string target; // himds target, or full URL
    std::string body;
    std::string authorization;
};

inline constexpr const char* kFakeCertificatePem =
    "-----BEGIN CERTIFICATE-----\nMIIfake\n-----END CERTIFICATE-----\n";

class FakeEnvironment {
public:
    FakeEnvironment();

    Environment& env() { return env_; }
    const std::filesystem::path& root() const { return dir_.path(); }
    // What the command finds on standard input.
    void setInput(const std::string& text) {
        in_.str(text);
        in_.clear();
    }
    std::string out() const { return out_.str(); }
    std::string err() const { return err_.str(); }

    bool elevated = true;
    bool azure_vm = false;
    bool himds_up = true;
    std::map<std::string, std::string> environment;
    nlohmann::json himds_status = {{"agentStatus", "Connected"},
                                   {"lastHeartbeat", "2026-11-28T13:45:00Z"}};
    // Scripted control-plane answers, by a key: "openid", "token", "put", "rg", "get", "cert",
    // "delete"; "put_first" answers only the first machine PUT. Unset keys answer with a success.
    std::map<std::string, std::pair<unsigned, std::string>> answers;
    bool network_down = false;

    std::vector<RecordedCall> himds_calls;
    std::vector<RecordedCall> https_calls;
    int machine_puts = 0;

private:
    Result<http::Response>
    answerHimds(http::Verb method, const std::string& target, const std::string& body);
    Result<http::Response> answerHttps(const http::SimpleRequest& request);

    azcm::test::TempDir dir_;
    std::istringstream in_;
    std::ostringstream out_;
    std::ostringstream err_;
    Environment env_;
};

// Writes <root>/var/opt/azcmagent/agentconfig.json for a connected machine.
void writeConnectedConfig(const Environment& env);

} // namespace azcm::azcmagent::test
