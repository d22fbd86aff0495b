#include "extension_test_fixture.hpp"

#include "common/paths/paths.hpp"
#include "common/platform/linux/cgroup_layout.hpp"
#include "process.hpp"

#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace azcm::test {

using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

std::string readText(const fsys::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void writeText(const fsys::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

} // namespace

void ExtensionTest::SetUp() {
    work = sandbox.root() / "work";
    fsys::create_directories(work);
    trace = work / "trace.log";
    marker = work / "go";
    digest = work / "digest";
    cgroup_root = "/azcm-ext-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : cgroup_root) {
        if (c == '/' && &c != &cgroup_root[0]) {
            c = '_';
        }
    }
    sandbox.startEmulator();
    sandbox.startHimds();
    auto onboarder =
        sandbox.createServicePrincipal("onboarder", "Azure Connected Machine Onboarding");
    auto connect = sandbox.azcmagent(sandbox.connectArgs(onboarder, machine));
    ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;
    writeLocalConfig();
}

void ExtensionTest::writeLocalConfig(json settings) {
    settings["extensions.agent.cpulimit"] = 100;
    sandbox.writeLocalConfig(settings);
}

void ExtensionTest::TearDown() {
    if (sandbox.daemonRunning("extservice")) {
        sandbox.stopDaemon("extservice");
    }
    // The handler groups this test's extservice made under its own cgroup root.
    platform::CpuLimiterOptions options;
    options.daemon_name = "extd";
    options.cgroup_root = cgroup_root;
    platform::CpuLimiter limiter(options);
    if (limiter.enforcement().enforced) {
        const auto ext_dir =
            limiter.placement().layout.cpu->dirOf(limiter.placement().daemon_path + "/ext");
        std::error_code ignored;
        for (const auto& entry : fsys::directory_iterator(ext_dir, ignored)) {
            if (entry.is_directory()) {
                (void)limiter.extensionGroup(entry.path().filename().string()).remove();
            }
        }
        for (int attempt = 0; attempt < 40 && !limiter.removeDaemonTree(); ++attempt) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::rmdir(limiter.placement().layout.cpu->dirOf(cgroup_root).c_str());
        if (limiter.placement().layout.cpuacct) {
            ::rmdir(limiter.placement().layout.cpuacct->dirOf(cgroup_root).c_str());
        }
    }
}

std::map<std::string, std::string> ExtensionTest::extserviceEnv() const {
    return {{"AZCM_EXT_POLL_SECONDS", "2"},
            {"AZCM_EXT_LONGPOLL_SECONDS", "5"},
            {"AZCM_EXT_TIMEOUT_SCALE", "0.02"}, // install 18 s, enable 6 s
            {"AZCM_CGROUP_ROOT", cgroup_root}};
}

void ExtensionTest::startExtservice(const std::map<std::string, std::string>& extra) {
    auto env = extserviceEnv();
    for (const auto& [key, value] : extra) {
        env[key] = value;
    }
    sandbox.startDaemon("extservice", env);
}

fsys::path ExtensionTest::buildTracePackage(const std::string& version,
                                            const HandlerBehaviour& behaviour) {
    const auto dir = work / ("pkg-" + version + "-" + std::to_string(std::rand()));
    fsys::create_directories(dir);
    fsys::copy_file(fsys::path(AZCM_TEST_HANDLERS_DIR) / "trace_handler.sh",
                    dir / "trace_handler.sh");
    json manifest = json::array({json{{"name", kHandler},
                                      {"version", 1.0},
                                      {"handlerManifest",
                                       {{"installCommand", "trace_handler.sh install"},
                                        {"uninstallCommand", "trace_handler.sh uninstall"},
                                        {"updateCommand", "trace_handler.sh update"},
                                        {"enableCommand", "trace_handler.sh enable"},
                                        {"disableCommand", "trace_handler.sh disable"},
                                        {"rebootAfterInstall", false},
                                        {"reportHeartbeat", false}}}}});
    if (behaviour.cpu_quota) {
        manifest[0]["resourceLimits"] = {{"cpuQuotaPercentage", *behaviour.cpu_quota}};
    }
    writeText(dir / "HandlerManifest.json", manifest.dump(2));
    writeText(dir / "trace_handler.conf", "VERSION='" + version + "'\nTRACE='" + trace.string() +
                                              "'\nDIGEST='" + digest.string() +
                                              "'\nWAIT_COMMAND='" + behaviour.wait_command +
                                              "'\nWAIT_MARKER='" + marker.string() +
                                              "'\nHANG_COMMAND='" + behaviour.hang_command + "'\n");
    const auto zip = work / ("trace-" + version + "-" + std::to_string(std::rand()) + ".zip");
    SpawnOptions options;
    auto zipped = runCommand(
        {"/bin/sh", "-c", "cd '" + dir.string() + "' && zip -q -r '" + zip.string() + "' ."},
        options);
    EXPECT_EQ(zipped.exit_code, 0) << zipped.err;
    return zip;
}

json ExtensionTest::publishZip(const fsys::path& zip,
                               const std::string& publisher,
                               const std::string& type,
                               const std::string& version) {
    auto published = sandbox.emulatorCommand(
        {"extension", "publish", "--data-dir", sandbox.emulatorDir().string(), "--zip",
         zip.string(), "--publisher", publisher, "--type", type, "--version", version});
    EXPECT_EQ(published.exit_code, 0) << published.out << published.err;
    auto document = json::parse(published.out, nullptr, false);
    return document.is_discarded() ? json::object() : document;
}

json ExtensionTest::publish(const std::string& version, const HandlerBehaviour& behaviour) {
    return publishZip(buildTracePackage(version, behaviour), kPublisher, kType, version);
}

std::string ExtensionTest::extensionPath(const std::string& name) const {
    return "/subscriptions/" + sandbox.subscription() +
           "/resourceGroups/arc-rg/providers/Microsoft.HybridCompute/machines/" + machine +
           "/extensions/" + name + "?api-version=2024-07-10";
}

Sandbox::ArmReply ExtensionTest::putExtension(const std::string& name,
                                              const std::string& version,
                                              const json& settings,
                                              const json& protected_settings,
                                              const std::string& publisher,
                                              const std::string& type) {
    json properties{{"publisher", publisher},
                    {"type", type},
                    {"typeHandlerVersion", version},
                    {"settings", settings}};
    if (!protected_settings.is_null()) {
        properties["protectedSettings"] = protected_settings;
    }
    auto reply = sandbox.arm("PUT", extensionPath(name), json{{"properties", properties}});
    EXPECT_TRUE(reply.status == 200 || reply.status == 201) << reply.status << reply.body.dump();
    return reply;
}

json ExtensionTest::waitSettled(const std::string& name, std::chrono::seconds timeout) {
    json last;
    waitUntil(
        [&] {
            auto reply = sandbox.arm("GET", extensionPath(name));
            if (reply.status != 200) {
                return false;
            }
            last = reply.body;
            const auto state = last["properties"].value("provisioningState", std::string());
            return state == "Succeeded" || state == "Failed";
        },
        timeout);
    return last;
}

bool ExtensionTest::deleteExtension(const std::string& name, std::chrono::seconds timeout) {
    auto reply = sandbox.arm("DELETE", extensionPath(name));
    EXPECT_TRUE(reply.status == 200 || reply.status == 202 || reply.status == 204)
        << reply.status << reply.body.dump();
    return waitUntil([&] { return sandbox.arm("GET", extensionPath(name)).status == 404; },
                     timeout);
}

std::vector<std::string> ExtensionTest::traceLines() const {
    std::vector<std::string> lines;
    std::istringstream in(readText(trace));
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::vector<std::string> ExtensionTest::commands() const {
    std::vector<std::string> result;
    for (const auto& line : traceLines()) {
        if (line.rfind("waiting", 0) == 0) {
            continue;
        }
        std::istringstream words(line);
        std::string command;
        std::string version;
        words >> command >> version;
        result.push_back(command + " " + version);
    }
    return result;
}

fsys::path ExtensionTest::handlerDir(const std::string& version) const {
    return Paths(sandbox.root()).extensionsDir() / (std::string(kHandler) + "-" + version);
}

std::vector<std::string> ExtensionTest::handlerDirs() const {
    std::vector<std::string> dirs;
    std::error_code ignored;
    for (const auto& entry :
         fsys::directory_iterator(Paths(sandbox.root()).extensionsDir(), ignored)) {
        if (entry.is_directory()) {
            dirs.push_back(entry.path().filename().string());
        }
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

std::string ExtensionTest::extserviceLog() const {
    return readText(Paths(sandbox.root()).extensionManagerLog());
}

} // namespace azcm::test
