#include "sandbox.hpp"

#include "common/crypto/encoding.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/http/https_client.hpp"
#include "common/http/url.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/paths/paths.hpp"

#include <csignal>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::test {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string bin(const std::string& name) {
    return binDir() + "/" + name;
}

// The lines a daemon wrote to its stdout and stderr from byte `offset` on at warning level or
// above (the log pattern puts the level after the time stamp: "<time> warning [himds] ...").
std::string complaintsSince(const std::filesystem::path& output,
                            std::uintmax_t offset,
                            const std::string& expected_event) {
    const auto text = fs::readFile(output);
    if (!text || text.value().size() <= offset) {
        return {};
    }
    std::string complaints;
    std::istringstream lines(text.value().substr(offset));
    for (std::string line; std::getline(lines, line);) {
        if (!expected_event.empty() && line.find(expected_event) != std::string::npos) {
            continue;
        }
        for (const char* level : {" warning [", " error [", " critical ["}) {
            if (line.find(level) != std::string::npos) {
                complaints += line + "\n";
                break;
            }
        }
    }
    return complaints;
}

// What a service manager does at shutdown: SIGTERM. The daemon must then exit 0 and write no
// warning or error while it stops; returns the exit code.
int expectOrderlyStop(DaemonProcess& daemon,
                      const std::string& name,
                      const std::filesystem::path& output,
                      const std::string& expected_event = {}) {
    std::error_code ec;
    const auto before = std::filesystem::file_size(output, ec);
    const int exit_code = daemon.stop();
    EXPECT_EQ(exit_code, 0) << name << " did not stop cleanly on SIGTERM";
    const std::string complaints = complaintsSince(output, ec ? 0 : before, expected_event);
    EXPECT_EQ(complaints, "") << name << " complained while stopping";
    return exit_code;
}

} // namespace

Sandbox::Sandbox() {
    // Readable by an unprivileged user, so tests can run azcmagent as another uid.
    ::chmod(root().c_str(), 0755);
    std::filesystem::create_directories(emulatorDir());
}

Sandbox::~Sandbox() {
    // The other daemons first: they use himds while they run.
    for (auto& [name, daemon] : daemons_) {
        if (daemon && daemon->running()) {
            expectOrderlyStop(*daemon, name, root() / (name + ".out"));
        }
    }
    if (himds_.running()) {
        expectOrderlyStop(himds_, "himds", root() / "himds.out");
    }
    emulator_.stop();
}

void Sandbox::startEmulator(const EmulatorFlags& flags) {
    flags_ = flags;
    std::filesystem::remove(cloudJson());
    std::vector<std::string> argv = {bin("arc-emulator"),
                                     "--data-dir",
                                     emulatorDir().string(),
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(port_),
                                     "--heartbeat-timeout",
                                     std::to_string(flags.heartbeat_timeout_seconds),
                                     "--cert-lifetime",
                                     std::to_string(flags.cert_lifetime_seconds)};
    SpawnOptions options;
    options.stdout_file = (root() / "emulator.out").string();
    emulator_.start(argv, options);
    bool ready = waitUntil(
        [this] { return std::filesystem::exists(cloudJson()) || !emulator_.running(); }, 60s);
    if (!ready || !emulator_.running()) {
        throw std::runtime_error("arc-emulator did not start: " + readLog("emulator.out"));
    }
    cloud_ = json::parse(fs::readFile(cloudJson()).value());
    auto url = http::parseUrl(cloud_.at("endpoints").at("arm").get<std::string>());
    port_ = url.value().port;
    createResourceGroup("arc-rg");
}

void Sandbox::createResourceGroup(const std::string& name) const {
    http::ClientOptions options;
    options.ca_file = cloud_.at("caCertPath").get<std::string>();
    options.retry.max_attempts = 1;
    http::HttpsClient client(options);
    http::SimpleRequest request;
    request.method = http::Verb::put;
    request.url = cloud_.at("endpoints").at("arm").get<std::string>() + "/subscriptions/" +
                  subscription() + "/resourcegroups/" + name + "?api-version=2022-09-01";
    request.headers = {{"Authorization", "Bearer " + ownerToken()},
                       {"Content-Type", "application/json"}};
    request.body = R"({"location":"westeurope"})";
    auto response = client.send(request);
    if (!response || response.value().result_int() >= 300) {
        throw std::runtime_error("cannot create resource group " + name);
    }
}

void Sandbox::stopEmulator() {
    EXPECT_EQ(emulator_.stop(), 0) << "arc-emulator must stop cleanly";
}

void Sandbox::startHimds(int heartbeat_interval_seconds) {
    SpawnOptions options;
    // A free IMDS port: tests run in parallel, and 40342 belongs to the root-only tests.
    options.env = {{"AZCM_ROOT", root().string()},
                   {"AZCM_HEARTBEAT_INTERVAL", std::to_string(heartbeat_interval_seconds)},
                   {"AZCM_IMDS_PORT", "0"}};
    options.stdout_file = (root() / "himds.out").string();
    himds_.start({bin("himds")}, options);
    auto socket = Paths(root()).socketFor("himds");
    bool ready = waitUntil(
        [&] {
            return !himds_.running() ||
                   ipc::call(socket, http::Verb::get, "/status", {}, 2s).has_value();
        },
        30s);
    if (!ready || !himds_.running()) {
        throw std::runtime_error("himds did not start: " + readLog("himds.out"));
    }
}

std::uint16_t Sandbox::imdsPort() const {
    return himdsStatus().at("imds").at("port").get<std::uint16_t>();
}

int Sandbox::stopHimds() {
    return himds_.stop();
}

ServicePrincipal Sandbox::createServicePrincipal(const std::string& name,
                                                 const std::string& role,
                                                 const std::string& scope,
                                                 bool with_certificate) {
    std::vector<std::string> argv = {bin("arc-emulator"),
                                     "sp",
                                     "create",
                                     "--data-dir",
                                     emulatorDir().string(),
                                     "--name",
                                     name,
                                     "--role",
                                     role,
                                     "--scope",
                                     scope.empty() ? "/subscriptions/" + subscription() : scope};
    ServicePrincipal sp;
    if (with_certificate) {
        sp.cert_path = (root() / (name + ".pem")).string();
        argv.emplace_back("--cert-out");
        argv.push_back(sp.cert_path);
    }
    auto result = runCommand(argv);
    if (result.exit_code != 0) {
        throw std::runtime_error("sp create failed: " + result.err);
    }
    auto doc = json::parse(result.out);
    sp.app_id = doc.at("appId").get<std::string>();
    sp.password = doc.value("password", "");
    sp.tenant = doc.at("tenant").get<std::string>();
    return sp;
}

CommandResult Sandbox::azcmagent(const std::vector<std::string>& args,
                                 std::optional<uid_t> as_uid) const {
    std::string program = bin("azcmagent");
    if (as_uid) {
        // The build tree may sit in a directory only its owner can enter (a clone in a mktemp
        // directory, as CI does): another user runs a copy from the sandbox, which is 0755.
        const auto shared = root() / "shared-bin" / "azcmagent";
        std::error_code ec;
        if (!std::filesystem::exists(shared, ec)) {
            std::filesystem::create_directories(shared.parent_path(), ec);
            std::filesystem::copy_file(program, shared, ec);
            std::filesystem::permissions(shared.parent_path(), std::filesystem::perms(0755), ec);
            std::filesystem::permissions(shared, std::filesystem::perms(0755), ec);
            if (ec) {
                throw std::runtime_error("cannot share azcmagent with uid " +
                                         std::to_string(*as_uid) + ": " + ec.message());
            }
        }
        program = shared.string();
    }
    std::vector<std::string> argv = {program};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.env = {{"AZCM_ROOT", root().string()}, {"MSFT_ARC_TEST", "true"}};
    options.as_uid = as_uid;
    return runCommand(argv, options, 180s);
}

CommandResult Sandbox::azcmagentWithInput(const std::vector<std::string>& args,
                                          const std::string& input) const {
    // sh pipes the value from its environment, so no process has it on its command line.
    std::vector<std::string> argv = {"/bin/sh", "-c",
                                     "printf '%s\\n' \"$AZCM_TEST_INPUT\" | exec \"$0\" \"$@\"",
                                     bin("azcmagent")};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.env = {
        {"AZCM_ROOT", root().string()}, {"MSFT_ARC_TEST", "true"}, {"AZCM_TEST_INPUT", input}};
    return runCommand(argv, options, 180s);
}

std::vector<std::string> Sandbox::credentialArgs(const ServicePrincipal& sp) {
    if (!sp.cert_path.empty()) {
        return {"--service-principal-id",
                sp.app_id,
                "--service-principal-cert",
                sp.cert_path,
                "--tenant-id",
                sp.tenant};
    }
    // The recommended way to pass a secret: a --config file, not the command line.
    auto file = root() / ("secret-" + std::to_string(++config_files_) + ".json");
    json config = {{"service-principal-secret", sp.password}};
    EXPECT_TRUE(fs::writeFileAtomic(file, config.dump(), {0600, {}}));
    return {
        "--service-principal-id", sp.app_id, "--tenant-id", sp.tenant, "--config", file.string()};
}

std::vector<std::string> Sandbox::connectArgs(const ServicePrincipal& sp,
                                              const std::string& resource_name,
                                              const std::string& resource_group) {
    std::vector<std::string> args = {"connect",          "--subscription-id", subscription(),
                                     "--resource-group", resource_group,      "--location",
                                     "westeurope",       "--resource-name",   resource_name,
                                     "--cloud-config",   cloudJson().string()};
    auto creds = credentialArgs(sp);
    args.insert(args.end(), creds.begin(), creds.end());
    return args;
}

http::ClientOptions Sandbox::clientOptions() const {
    http::ClientOptions options;
    options.ca_file = cloud_.at("caCertPath").get<std::string>();
    options.retry.max_attempts = 1;
    return options;
}

std::string Sandbox::ownerToken() const {
    const auto& owner = cloud_.at("bootstrapOwner");
    http::ClientOptions options;
    options.ca_file = cloud_.at("caCertPath").get<std::string>();
    options.retry.max_attempts = 1;
    http::HttpsClient client(options);
    http::SimpleRequest request;
    request.method = http::Verb::post;
    request.url = cloud_.at("endpoints").at("entra").get<std::string>() + "/" + tenant() +
                  "/oauth2/v2.0/token";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = "grant_type=client_credentials&client_id=" +
                   http::urlEncode(owner.at("appId").get<std::string>()) +
                   "&client_secret=" + http::urlEncode(owner.at("password").get<std::string>()) +
                   "&scope=" + http::urlEncode("https://management.azure.com/.default");
    auto response = client.send(request);
    if (!response || response.value().result_int() != 200) {
        throw std::runtime_error("owner token failed");
    }
    return json::parse(response.value().body()).at("access_token").get<std::string>();
}

std::optional<json> Sandbox::getMachine(const std::string& resource_group,
                                        const std::string& name) const {
    http::ClientOptions options;
    options.ca_file = cloud_.at("caCertPath").get<std::string>();
    options.retry.max_attempts = 1;
    http::HttpsClient client(options);
    http::SimpleRequest request;
    request.url = cloud_.at("endpoints").at("arm").get<std::string>() + "/subscriptions/" +
                  subscription() + "/resourceGroups/" + resource_group +
                  "/providers/Microsoft.HybridCompute/machines/" + name + "?api-version=2024-07-10";
    request.headers = {{"Authorization", "Bearer " + ownerToken()}};
    auto response = client.send(request);
    if (!response) {
        throw std::runtime_error("ARM GET failed: " + response.error().message);
    }
    if (response.value().result_int() == 404) {
        return std::nullopt;
    }
    if (response.value().result_int() != 200) {
        throw std::runtime_error("ARM GET returned " +
                                 std::to_string(response.value().result_int()) + ": " +
                                 response.value().body());
    }
    return json::parse(response.value().body());
}

json Sandbox::patchMachineTags(const std::string& resource_group,
                               const std::string& name,
                               const json& tags) const {
    http::HttpsClient client(clientOptions());
    http::SimpleRequest request;
    request.method = http::Verb::patch;
    request.url = cloud_.at("endpoints").at("arm").get<std::string>() + "/subscriptions/" +
                  subscription() + "/resourceGroups/" + resource_group +
                  "/providers/Microsoft.HybridCompute/machines/" + name + "?api-version=2024-07-10";
    request.headers = {{"Authorization", "Bearer " + ownerToken()},
                       {"Content-Type", "application/json"}};
    request.body = json{{"tags", tags}}.dump();
    auto response = client.send(request);
    if (!response || response.value().result_int() != 200) {
        throw std::runtime_error("ARM PATCH failed");
    }
    return json::parse(response.value().body());
}

void Sandbox::writeLocalConfig(const json& settings) const {
    const Paths paths(root());
    if (!fs::ensureDirectory(paths.localConfig().parent_path(), {0755, {}}) ||
        !fs::writeFileAtomic(paths.localConfig(), settings.dump(2), {0644, {}})) {
        throw std::runtime_error("cannot write localconfig.json");
    }
}

json Sandbox::himdsStatus() const {
    auto response = ipc::call(Paths(root()).socketFor("himds"), http::Verb::get, "/status", {}, 5s);
    if (!response) {
        return json::object();
    }
    return json::parse(response.value().body(), nullptr, false);
}

std::string Sandbox::readLog(const std::string& name) const {
    // The documented log names of himds and arcproxy are links into their own directories
    // (log/himds.log -> himds/himds.log); fs::readFile follows no link, so read the target.
    auto path = root() / name;
    std::error_code ec;
    if (std::filesystem::is_symlink(path, ec)) {
        path = path.parent_path() / std::filesystem::read_symlink(path, ec);
    }
    auto text = fs::readFile(path);
    return text ? text.value() : std::string("<no ") + name + ">";
}

} // namespace azcm::test

namespace azcm::test {

void Sandbox::startDaemon(const std::string& name, const std::map<std::string, std::string>& env) {
    auto& slot = daemons_[name];
    if (!slot) {
        slot = std::make_unique<DaemonProcess>();
    }
    SpawnOptions options;
    options.env = env;
    options.env["AZCM_ROOT"] = root().string();
    options.stdout_file = (root() / (name + ".out")).string();
    slot->start({bin(name)}, options);
    const auto socket = Paths(root()).socketFor(name);
    const bool ready = waitUntil(
        [&] {
            return !slot->running() ||
                   ipc::call(socket, http::Verb::get, "/status", {}, 2s).has_value();
        },
        30s);
    if (!ready || !slot->running()) {
        throw std::runtime_error(name + " did not start: " + readLog(name + ".out"));
    }
}

int Sandbox::stopDaemon(const std::string& name, bool hard) {
    auto found = daemons_.find(name);
    if (found == daemons_.end() || !found->second) {
        return -1;
    }
    auto& daemon = *found->second;
    if (hard && daemon.running()) {
        ::kill(daemon.pid(), SIGKILL);
        waitUntil([&] { return !daemon.running(); }, 10s);
        return daemon.exitCode().value_or(-1);
    }
    if (!daemon.running()) {
        return daemon.stop();
    }
    return expectOrderlyStop(daemon, name, root() / (name + ".out"));
}

int Sandbox::stopDaemonExpecting(const std::string& name, const std::string& expected_event) {
    auto found = daemons_.find(name);
    if (found == daemons_.end() || !found->second) {
        return -1;
    }
    auto& daemon = *found->second;
    if (!daemon.running()) {
        return daemon.stop();
    }
    return expectOrderlyStop(daemon, name, root() / (name + ".out"), expected_event);
}

bool Sandbox::daemonRunning(const std::string& name) {
    auto found = daemons_.find(name);
    return found != daemons_.end() && found->second && found->second->running();
}

pid_t Sandbox::daemonPid(const std::string& name) const {
    auto found = daemons_.find(name);
    return found == daemons_.end() || !found->second ? -1 : found->second->pid();
}

json Sandbox::daemonStatus(const std::string& name) const {
    auto response = ipc::call(Paths(root()).socketFor(name), http::Verb::get, "/status", {}, 5s);
    if (!response) {
        return json::object();
    }
    return json::parse(response.value().body(), nullptr, false);
}

Sandbox::ArmReply
Sandbox::arm(const std::string& method, const std::string& path, const json& body) const {
    http::HttpsClient client(clientOptions());
    http::SimpleRequest request;
    request.method = boost::beast::http::string_to_verb(method);
    request.url = cloud_.at("endpoints").at("arm").get<std::string>() + path;
    request.headers = {{"Authorization", "Bearer " + ownerToken()}};
    if (!body.is_null()) {
        request.headers.emplace_back("Content-Type", "application/json");
        request.body = body.dump();
    }
    auto response = client.send(request);
    if (!response) {
        throw std::runtime_error("ARM " + method + " " + path +
                                 " failed: " + response.error().message);
    }
    ArmReply reply;
    reply.status = response.value().result_int();
    reply.body = json::parse(response.value().body(), nullptr, false);
    if (reply.body.is_discarded()) {
        reply.body = nullptr;
    }
    for (const auto& field : response.value().base()) {
        reply.headers[std::string(field.name_string())] = std::string(field.value());
    }
    return reply;
}

CommandResult Sandbox::emulatorCommand(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {bin("arc-emulator")};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv);
}

} // namespace azcm::test
