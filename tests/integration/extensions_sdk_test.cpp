// The official Azure SDK for JavaScript (@azure/arm-hybridcompute), unchanged, creates and deletes
// machine extensions on a running arc-emulator. The long-running operations finish only when the
// machine's agent reports over mutual TLS; until extservice exists this test plays that agent with
// the certificate a real `azcmagent connect` left for himds.
#include "sandbox.hpp"

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;

constexpr const char* kFailureReason = "install.sh exited with 7: libfoo is missing";

std::string readText(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Answers the goal state like an extension manager would: installs succeed, except the extension
// named "broken", whose install fails; uninstalls are reported as removed.
class ReportingAgent {
public:
    ReportingAgent(const Sandbox& sandbox, const std::filesystem::path& certs)
        : identity_(sandbox.cloud().at("endpoints").at("identity").get<std::string>()) {
        http::ClientOptions options;
        options.ca_file = sandbox.cloud().at("caCertPath").get<std::string>();
        options.retry.max_attempts = 1;
        options.client_certificate_pem = readText(certs / "machine.crt");
        options.client_private_key_pem = readText(certs / "machine.key");
        client_.emplace(options);
        thread_ = std::thread([this] { run(); });
    }
    ~ReportingAgent() {
        stop_ = true;
        thread_.join();
    }
    ReportingAgent(const ReportingAgent&) = delete;
    ReportingAgent& operator=(const ReportingAgent&) = delete;
    ReportingAgent(ReportingAgent&&) = delete;
    ReportingAgent& operator=(ReportingAgent&&) = delete;

    int reports() const { return reports_; }

private:
    void run() {
        while (!stop_) {
            http::SimpleRequest request;
            request.url = identity_ + "/machines/extensions/goalstate";
            auto response = client_->send(request);
            if (response && response.value().result_int() == 200) {
                const auto goal = json::parse(response.value().body());
                for (const auto& extension : goal.at("extensions")) {
                    answer(extension);
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    void answer(const json& extension) {
        const std::string state = extension.at("provisioningState");
        if (state == "Succeeded" || state == "Failed") {
            return;
        }
        const std::string name = extension.at("name");
        json report{{"name", name}, {"sequenceNumber", extension.at("sequenceNumber")}};
        if (state == "Deleting") {
            report["status"] = "Removed";
        } else if (name == "broken") {
            report["status"] = "Failed";
            report["code"] = "1009";
            report["message"] = kFailureReason;
        } else {
            report["status"] = "Succeeded";
            report["message"] = "Enable succeeded";
        }
        http::SimpleRequest request;
        request.method = http::Verb::post;
        request.url = identity_ + "/machines/extensions/report";
        request.headers = {{"Content-Type", "application/json"}};
        request.body = report.dump();
        auto response = client_->send(request);
        if (response && response.value().result_int() == 200) {
            ++reports_;
        }
    }

    std::string identity_;
    std::optional<http::HttpsClient> client_;
    std::atomic<bool> stop_{false};
    std::atomic<int> reports_{0};
    std::thread thread_;
};

TEST(ExtensionsSdkTest, OfficialJavaScriptSdkCreatesAndDeletesExtensions) {
    const std::string sdk_dir = AZCM_SDK_DIR;
    ASSERT_TRUE(std::filesystem::exists(std::filesystem::path(sdk_dir) / "node_modules" / "@azure" /
                                        "arm-hybridcompute"))
        << "run `npm install` in tests/sdk (scripts/test.sh does)";
    Sandbox sandbox;
    sandbox.startEmulator();
    sandbox.startHimds();
    auto onboarder =
        sandbox.createServicePrincipal("onboarder", "Azure Connected Machine Onboarding");
    auto connect = sandbox.azcmagent(sandbox.connectArgs(onboarder, "ext01"));
    ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;
    const auto certs = sandbox.root() / "var/opt/azcmagent/certs";
    ASSERT_TRUE(std::filesystem::exists(certs / "machine.crt")) << "read as root";
    ReportingAgent agent(sandbox, certs);

    auto admin = sandbox.createServicePrincipal("ext-admin",
                                                "Azure Connected Machine Resource Administrator");
    SpawnOptions options;
    options.env = {{"NODE_EXTRA_CA_CERTS", sandbox.cloud().at("caCertPath").get<std::string>()}};
    auto result =
        runCommand({"/usr/bin/env", "node", sdk_dir + "/machine_extensions.mjs",
                    sandbox.cloudJson().string(), admin.app_id, admin.password, "arc-rg", "ext01"},
                   options);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << sandbox.readLog("emulator.out");
    const auto steps = json::parse(result.out);

    EXPECT_EQ(steps["created"].value("provisioningState", ""), "Succeeded") << result.out;
    EXPECT_EQ(steps["created"].value("hasProtectedSettings", true), false);
    EXPECT_EQ(steps["got"]["instanceView"]["status"].value("message", ""), "Enable succeeded")
        << result.out;
    EXPECT_EQ(steps["got"]["instanceView"].value("type", ""), "healthy");
    // The SDK shows a failed operation's error code and message: the agent's reason.
    const std::string failure = steps["failed"].value("error", "");
    EXPECT_NE(failure.find(kFailureReason), std::string::npos) << result.out;
    EXPECT_NE(failure.find("1009"), std::string::npos) << result.out;
    EXPECT_EQ(steps["deleted_healthy"], true) << result.out;
    EXPECT_EQ(steps["deleted_broken"], true) << result.out;
    EXPECT_EQ(steps["remaining"], json::array()) << result.out;
    EXPECT_GE(agent.reports(), 4) << "two installs and two removals, each reported";
}

} // namespace
} // namespace azcm::test
