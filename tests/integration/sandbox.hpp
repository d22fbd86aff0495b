#pragma once
// An end-to-end sandbox: a real arc-emulator, a real himds and the real azcmagent, all from the
// build's bin directory, relocated under one temporary AZCM_ROOT (docs/architecture.md).
#include "common/http/https_client.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::test {

// The built-in role that lets a service principal onboard machines.
inline constexpr const char* kOnboarding = "Azure Connected Machine Onboarding";

// An extension resource's provisioningState ("" when it has none).
inline std::string stateOf(const nlohmann::json& extension) {
    return extension["properties"].value("provisioningState", std::string());
}

struct ServicePrincipal {
    std::string app_id;
    std::string password;
    std::string tenant;
    std::string cert_path; // set when created with a certificate
};

struct EmulatorFlags {
    int heartbeat_timeout_seconds = 900;
    int cert_lifetime_seconds = 90 * 24 * 3600;
};

class Sandbox {
public:
    Sandbox();
    ~Sandbox();
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;
    Sandbox(Sandbox&&) = delete;
    Sandbox& operator=(Sandbox&&) = delete;

    const std::filesystem::path& root() const { return root_.path(); }
    std::filesystem::path emulatorDir() const { return root() / "emulator"; }
    std::filesystem::path cloudJson() const { return emulatorDir() / "cloud.json"; }
    const nlohmann::json& cloud() const { return cloud_; }
    std::string subscription() const { return cloud_.at("subscriptionId").get<std::string>(); }
    std::string tenant() const { return cloud_.at("tenantId").get<std::string>(); }

    // Starts arc-emulator (on the port it had before, after a restart) and waits for cloud.json.
    void startEmulator(const EmulatorFlags& flags = {});
    void stopEmulator();
    void startHimds(int heartbeat_interval_seconds = 1);
    int stopHimds();
    // The IMDS port himds bound (a free one in the sandbox), from GET /status.
    std::uint16_t imdsPort() const;
    bool himdsRunning() { return himds_.running(); }
    pid_t himdsPid() const { return himds_.pid(); }

    ServicePrincipal createServicePrincipal(const std::string& name,
                                            const std::string& role,
                                            const std::string& scope = {},
                                            bool with_certificate = false);

    // Runs azcmagent with AZCM_ROOT set; `as_uid` drops privileges first.
    CommandResult azcmagent(const std::vector<std::string>& args,
                            std::optional<uid_t> as_uid = {}) const;
    // The same, with `input` and a newline on its standard input (the input never is in argv).
    CommandResult azcmagentWithInput(const std::vector<std::string>& args,
                                     const std::string& input) const;
    // The connect arguments of a service principal, the secret passed through a --config file.
    std::vector<std::string> connectArgs(const ServicePrincipal& sp,
                                         const std::string& resource_name,
                                         const std::string& resource_group = "arc-rg");
    std::vector<std::string> credentialArgs(const ServicePrincipal& sp);

    // ARM as the bootstrap Owner: GET a machine; nullopt on 404.
    std::optional<nlohmann::json> getMachine(const std::string& resource_group,
                                             const std::string& name) const;
    // ARM PATCH of a machine's tags as the bootstrap Owner; the machine as ARM answers.
    nlohmann::json patchMachineTags(const std::string& resource_group,
                                    const std::string& name,
                                    const nlohmann::json& tags) const;
    // localconfig.json as `azcmagent config` would leave it (before himds starts, or followed by a
    // reload).
    void writeLocalConfig(const nlohmann::json& settings) const;
    nlohmann::json himdsStatus() const;
    std::string readLog(const std::string& name) const;

    // Another daemon of the suite ("extservice", "gcservice") from the build's bin directory,
    // with AZCM_ROOT set and `env` added; waits until GET /status answers on its socket.
    void startDaemon(const std::string& name, const std::map<std::string, std::string>& env = {});
    // SIGTERM and wait; the exit code. Expects (gtest) an orderly stop: exit code 0 and no warning
    // or error logged while stopping. kill -9 instead when `hard` (crash tests).
    int stopDaemon(const std::string& name, bool hard = false);
    // The same orderly stop, where lines naming `expected_event` are what the test arranged (a disk
    // it filled): those may be logged while stopping, any other warning or error may not.
    int stopDaemonExpecting(const std::string& name, const std::string& expected_event);
    bool daemonRunning(const std::string& name);
    pid_t daemonPid(const std::string& name) const;
    // GET /status on the daemon's socket; an empty object when it does not answer.
    nlohmann::json daemonStatus(const std::string& name) const;

    // One ARM call as the bootstrap Owner: `path` starts with /subscriptions/..., `api-version`
    // included. The status and the parsed body (null when empty or not JSON).
    struct ArmReply {
        int status = 0;
        nlohmann::json body;
        std::map<std::string, std::string> headers;
    };
    ArmReply arm(const std::string& method,
                 const std::string& path,
                 const nlohmann::json& body = nullptr) const;
    // Runs arc-emulator with `args` (after the program name); --data-dir is NOT added.
    CommandResult emulatorCommand(const std::vector<std::string>& args) const;

private:
    http::ClientOptions clientOptions() const;
    std::string ownerToken() const;
    // The group tests onboard into: the Onboarding role may not create groups, as in Azure.
    void createResourceGroup(const std::string& name) const;

    TempDir root_;
    DaemonProcess emulator_;
    DaemonProcess himds_;
    std::map<std::string, std::unique_ptr<DaemonProcess>> daemons_;
    nlohmann::json cloud_;
    std::uint16_t port_ = 0;
    EmulatorFlags flags_;
    int config_files_ = 0;
};

} // namespace azcm::test
