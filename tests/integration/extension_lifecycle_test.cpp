// End to end: the real extservice installs, reconfigures, upgrades, downgrades and removes a
// signed shell-script handler that ARM assigns, in the handler protocol's command order, and
// reports each outcome so the ARM operation completes.
#include "common/ipc/ipc_client.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/cpu_limit.hpp"
#include "extension_test_fixture.hpp"
#include "process.hpp"

#include <fstream>

namespace azcm::test {
namespace {

using nlohmann::json;
using Lines = std::vector<std::string>;

std::string messageOf(const json& extension) {
    return extension["properties"]["instanceView"]["status"].value("message", std::string());
}

// The CPU component of GET /status named `component`, or null.
json cpuComponent(const json& status, const std::string& component) {
    for (const auto& entry : status.value("cpu", json::array())) {
        if (entry.value("component", "") == component) {
            return entry;
        }
    }
    return nullptr;
}

TEST_F(ExtensionTest, InstallReconfigureUpgradeDowngradeRemove) {
    publish("1.0.0");
    HandlerBehaviour lower_cap;
    lower_cap.cpu_quota = 20; // the 2.0.0 manifest asks for a lower cap than the agent's
    publish("2.0.0", lower_cap);
    startExtservice();

    // Install: install, then enable with sequence number 0.
    putExtension("trace", "1.0.0", json{{"greeting", "hello"}});
    auto installed = waitSettled("trace");
    ASSERT_EQ(stateOf(installed), "Succeeded") << installed.dump() << extserviceLog();
    EXPECT_EQ(messageOf(installed), "enabled 1.0.0 greeting hello") << installed.dump();
    EXPECT_EQ(commands(), (Lines{"install 1.0.0", "enable 1.0.0"}));
    EXPECT_TRUE(std::filesystem::exists(handlerDir("1.0.0") / "HandlerManifest.json"));
    const auto first_seq = traceLines().back();
    // The handler runs in a group of its own with the agent cap (100 in these tests).
    const auto handler_cap =
        cpuComponent(sandbox.daemonStatus("extservice"), std::string("extension:") + kHandler);
    ASSERT_FALSE(handler_cap.is_null()) << sandbox.daemonStatus("extservice").dump();
    EXPECT_EQ(handler_cap.value("capPercent", 0), 100);
    EXPECT_NE(handler_cap.value("cgroup", std::string()).find("/extd/ext/"), std::string::npos);

    // Reconfigure: new settings, a new sequence number, only enable runs.
    putExtension("trace", "1.0.0", json{{"greeting", "again"}});
    auto reconfigured = waitSettled("trace");
    ASSERT_EQ(stateOf(reconfigured), "Succeeded") << extserviceLog();
    EXPECT_EQ(messageOf(reconfigured), "enabled 1.0.0 greeting again");
    EXPECT_EQ(commands(), (Lines{"install 1.0.0", "enable 1.0.0", "enable 1.0.0"}));
    EXPECT_NE(traceLines().back(), first_seq) << "the sequence number must change";

    // Upgrade: old disable, new update (told where it comes from), old uninstall, new
    // install (UpdateWithInstall), new enable.
    putExtension("trace", "2.0.0", json{{"greeting", "v2"}});
    auto upgraded = waitSettled("trace");
    ASSERT_EQ(stateOf(upgraded), "Succeeded") << extserviceLog();
    EXPECT_EQ(upgraded["properties"]["instanceView"].value("typeHandlerVersion", ""), "2.0.0");
    const auto after_upgrade = commands();
    ASSERT_GE(after_upgrade.size(), 8U);
    EXPECT_EQ(Lines(after_upgrade.begin() + 3, after_upgrade.end()),
              (Lines{"disable 1.0.0", "update 2.0.0", "uninstall 1.0.0", "install 2.0.0",
                     "enable 2.0.0"}));
    bool told_from = false;
    for (const auto& line : traceLines()) {
        told_from = told_from || (line.rfind("update 2.0.0", 0) == 0 &&
                                  line.find("from=1.0.0") != std::string::npos);
    }
    EXPECT_TRUE(told_from) << "update must see AZURE_GUEST_AGENT_UPDATING_FROM_VERSION";
    EXPECT_EQ(handlerDirs(), (Lines{std::string(kHandler) + "-2.0.0"}));
    EXPECT_EQ(cpuComponent(sandbox.daemonStatus("extservice"), std::string("extension:") + kHandler)
                  .value("capPercent", 0),
              20)
        << "resourceLimits.cpuQuotaPercentage lowers the cap";

    // Downgrade: the same sequence, but the update command is the higher (old) version's.
    putExtension("trace", "1.0.0", json{{"greeting", "back"}});
    auto downgraded = waitSettled("trace");
    ASSERT_EQ(stateOf(downgraded), "Succeeded") << extserviceLog();
    EXPECT_EQ(messageOf(downgraded), "enabled 1.0.0 greeting back");
    const auto after_downgrade = commands();
    EXPECT_EQ(Lines(after_downgrade.end() - 5, after_downgrade.end()),
              (Lines{"disable 2.0.0", "update 2.0.0", "uninstall 2.0.0", "install 1.0.0",
                     "enable 1.0.0"}));
    EXPECT_EQ(handlerDirs(), (Lines{std::string(kHandler) + "-1.0.0"}));

    // Remove: disable, uninstall, the directory is gone, ARM deletes the resource.
    ASSERT_TRUE(deleteExtension("trace")) << extserviceLog();
    const auto after_remove = commands();
    EXPECT_EQ(Lines(after_remove.end() - 2, after_remove.end()),
              (Lines{"disable 1.0.0", "uninstall 1.0.0"}));
    EXPECT_TRUE(handlerDirs().empty());
    EXPECT_TRUE(std::filesystem::is_empty(Paths(sandbox.root()).downloadsDir()));

    // GET /status: connected, the daemon's own CPU component, the removed handler's gone.
    const auto status = sandbox.daemonStatus("extservice");
    EXPECT_EQ(status["connection"].value("status", ""), "Connected") << status.dump();
    EXPECT_FALSE(cpuComponent(status, "extservice").is_null()) << status.dump();
    EXPECT_TRUE(cpuComponent(status, std::string("extension:") + kHandler).is_null())
        << status.dump();
}

TEST_F(ExtensionTest, ReloadAppliesTheNewCpuCapBeforeAnswering) {
    startExtservice();
    auto before = cpuComponent(sandbox.daemonStatus("extservice"), "extservice");
    ASSERT_EQ(before.value("capPercent", 0), 100) << before.dump();
    writeLocalConfig();
    auto local = json::parse(std::ifstream(Paths(sandbox.root()).localConfig()));
    local["extensions.agent.cpulimit"] = 30;
    sandbox.writeLocalConfig(local);
    auto reload =
        ipc::call(Paths(sandbox.root()).socketFor("extservice"), http::Verb::post, "/reload");
    ASSERT_TRUE(reload && reload.value().result_int() == 200);
    const auto after = cpuComponent(sandbox.daemonStatus("extservice"), "extservice");
    EXPECT_EQ(after.value("capPercent", 0), 30) << after.dump();
    if (after.value("enforced", false)) {
        // Already in the kernel's file when the reload answered (cgroup v1 here; v2: cpu.max).
        platform::CpuLimiterOptions options;
        options.daemon_name = "extd";
        options.cgroup_root = cgroup_root;
        platform::CpuLimiter limiter(options);
        auto quota = limiter.daemonGroup().readQuota();
        ASSERT_TRUE(quota) << quota.error().message;
        EXPECT_EQ(quota.value().quota_us.value_or(-1), 30000);
    } else {
        EXPECT_FALSE(after.value("reason", std::string()).empty()) << after.dump();
    }
}

TEST_F(ExtensionTest, BlockedExtensionFailsWithTheLocalSettingAndDownloadsNothing) {
    publish("1.0.0");
    writeLocalConfig(json{{"extensions.blocklist", {std::string(kPublisher) + "/" + kType}}});
    startExtservice();
    putExtension("trace", "1.0.0");
    auto refused = waitSettled("trace");
    ASSERT_EQ(stateOf(refused), "Failed") << refused.dump();
    EXPECT_NE(messageOf(refused).find("extensions.blocklist"), std::string::npos) << refused.dump();
    EXPECT_TRUE(commands().empty());
    EXPECT_TRUE(handlerDirs().empty());
    EXPECT_TRUE(std::filesystem::is_empty(Paths(sandbox.root()).downloadsDir()));
    EXPECT_EQ(extserviceLog().find("EXT_DOWNLOAD_START"), std::string::npos);

    // Deletion is always allowed.
    EXPECT_TRUE(deleteExtension("trace")) << extserviceLog();
}

TEST_F(ExtensionTest, ExtensionsDisabledStopsNewWorkUntilReenabled) {
    publish("1.0.0");
    writeLocalConfig(json{{"extensions.enabled", false}});
    startExtservice();
    putExtension("trace", "1.0.0");
    auto refused = waitSettled("trace");
    ASSERT_EQ(stateOf(refused), "Failed") << refused.dump();
    EXPECT_NE(messageOf(refused).find("extensions.enabled"), std::string::npos) << refused.dump();
    EXPECT_TRUE(commands().empty());

    // Re-enabled and reloaded: the next request is carried out.
    writeLocalConfig(json{{"extensions.enabled", true}});
    auto reload =
        ipc::call(Paths(sandbox.root()).socketFor("extservice"), http::Verb::post, "/reload");
    ASSERT_TRUE(reload && reload.value().result_int() == 200);
    putExtension("trace", "1.0.0", json{{"greeting", "now"}});
    auto done = waitSettled("trace");
    EXPECT_EQ(stateOf(done), "Succeeded") << done.dump() << extserviceLog();
}

TEST_F(ExtensionTest, TamperedOversizedOrMissingPackagesAreRefusedAndNothingExtracted) {
    // Tampered in storage after signing (same size): the digest no longer matches.
    const auto published = publish("1.0.0");
    ASSERT_TRUE(published.contains("file")) << published.dump();
    {
        std::fstream file(published["file"].get<std::string>(),
                          std::ios::in | std::ios::out | std::ios::binary);
        file.seekg(40);
        const char byte = static_cast<char>(file.get());
        file.seekp(40);
        file.put(static_cast<char>(byte ^ 0x5a));
    }
    startExtservice();
    putExtension("trace", "1.0.0");
    auto tampered = waitSettled("trace");
    ASSERT_EQ(stateOf(tampered), "Failed") << tampered.dump();
    EXPECT_EQ(tampered["properties"]["instanceView"]["status"].value("code", ""), "1004");
    EXPECT_TRUE(commands().empty());
    EXPECT_TRUE(handlerDirs().empty());
    EXPECT_TRUE(std::filesystem::is_empty(Paths(sandbox.root()).downloadsDir()));

    // A zip-slip entry in a correctly signed package: extraction refuses it (1005).
    const auto slip_dir = work / "slip";
    std::filesystem::create_directories(slip_dir);
    auto slipped = runCommand(
        {"/usr/bin/env", "python3", "-c",
         "import zipfile,sys\n"
         "z=zipfile.ZipFile(sys.argv[1],'w')\n"
         "z.writestr('HandlerManifest.json','[{\"name\":\"x\",\"version\":1.0,"
         "\"handlerManifest\":{\"installCommand\":\"a\",\"uninstallCommand\":\"a\","
         "\"updateCommand\":\"a\",\"enableCommand\":\"a\",\"disableCommand\":\"a\"}}]')\n"
         "z.writestr('../../../../escaped.txt','owned')\n"
         "z.close()\n",
         (slip_dir / "slip.zip").string()});
    ASSERT_EQ(slipped.exit_code, 0) << slipped.err;
    publishZip(slip_dir / "slip.zip", kPublisher, kType, "4.0.0");
    putExtension("trace", "4.0.0");
    auto slip = waitSettled("trace");
    ASSERT_EQ(stateOf(slip), "Failed") << slip.dump();
    EXPECT_EQ(slip["properties"]["instanceView"]["status"].value("code", ""), "1005")
        << slip.dump();
    EXPECT_TRUE(handlerDirs().empty());
    for (const auto& entry : std::filesystem::recursive_directory_iterator(sandbox.root())) {
        EXPECT_NE(entry.path().filename(), "escaped.txt") << entry.path();
    }

    // No package published for the version asked.
    putExtension("trace", "9.9.9");
    auto missing = waitSettled("trace");
    ASSERT_EQ(stateOf(missing), "Failed") << missing.dump();
    EXPECT_EQ(missing["properties"]["instanceView"]["status"].value("code", ""), "1004");

    // Larger than the configured limit: refused before download.
    sandbox.stopDaemon("extservice");
    publish("3.0.0");
    startExtservice({{"AZCM_EXT_MAX_PACKAGE_BYTES", "100"}});
    putExtension("trace", "3.0.0");
    auto oversized = waitSettled("trace");
    ASSERT_EQ(stateOf(oversized), "Failed") << oversized.dump();
    EXPECT_NE(messageOf(oversized).find("limit"), std::string::npos) << oversized.dump();
    EXPECT_TRUE(handlerDirs().empty());
}

TEST_F(ExtensionTest, AHangingHandlerIsKilledAtItsTimeoutWithCode1011) {
    HandlerBehaviour hang;
    hang.hang_command = "enable";
    publish("1.0.0", hang);
    startExtservice();
    const auto started = std::chrono::steady_clock::now();
    putExtension("trace", "1.0.0");
    auto failed = waitSettled("trace", std::chrono::seconds(40));
    ASSERT_EQ(stateOf(failed), "Failed") << failed.dump() << extserviceLog();
    EXPECT_EQ(failed["properties"]["instanceView"]["status"].value("code", ""), "1011");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
    // The hung command's process is gone: nothing runs in the handler's directory any more.
    const auto base = handlerDir("1.0.0");
    EXPECT_TRUE(waitUntil(
        [&] {
            for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
                std::error_code ignored;
                if (std::filesystem::read_symlink(entry.path() / "cwd", ignored) == base) {
                    return false;
                }
            }
            return true;
        },
        std::chrono::seconds(5)));
}

TEST_F(ExtensionTest, WalinuxAgentSampleHandlerSucceedsAndReportsItsStatus) {
    const std::filesystem::path sample =
        std::string(AZCM_CONFORMANCE_DIR) + "/sample_ext-1.3.0.zip";
    ASSERT_TRUE(std::filesystem::exists(sample)) << sample;
    publishZip(sample, "Microsoft.OSTCExtensions", "ExampleHandlerLinux", "1.3.0");
    startExtservice();
    putExtension("sample", "1.3.0", json::object(), nullptr, "Microsoft.OSTCExtensions",
                 "ExampleHandlerLinux");
    auto done = waitSettled("sample", std::chrono::seconds(60));
    ASSERT_EQ(stateOf(done), "Succeeded") << done.dump() << extserviceLog();
    const auto message = messageOf(done);
    EXPECT_FALSE(message.empty()) << done.dump();
    // The message is the handler's own, from its status file.
    const auto status_dir = Paths(sandbox.root()).extensionsDir() /
                            "Microsoft.OSTCExtensions.ExampleHandlerLinux-1.3.0" / "status";
    std::string status_text;
    for (const auto& entry : std::filesystem::directory_iterator(status_dir)) {
        std::ifstream in(entry.path());
        status_text.assign(std::istreambuf_iterator<char>(in), {});
    }
    EXPECT_NE(status_text.find(message), std::string::npos) << status_text;
}

TEST_F(ExtensionTest, CliListsAndRemovesOnlyWhileTheManagerIsStopped) {
    publish("1.0.0");
    startExtservice();
    putExtension("trace", "1.0.0");
    ASSERT_EQ(stateOf(waitSettled("trace")), "Succeeded") << extserviceLog();

    auto refused = sandbox.azcmagent({"extension", "list"});
    EXPECT_EQ(refused.exit_code, 72) << refused.out << refused.err;
    EXPECT_NE(refused.out.find("systemctl stop extd"), std::string::npos) << refused.out;

    sandbox.stopDaemon("extservice");
    auto listed = sandbox.azcmagent({"extension", "list", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.out << listed.err;
    const auto list = json::parse(listed.out)["extensions"];
    ASSERT_EQ(list.size(), 1U) << listed.out;
    EXPECT_EQ(list[0]["name"], "trace");
    EXPECT_EQ(list[0]["handler"], kHandler);
    EXPECT_EQ(list[0]["version"], "1.0.0");
    EXPECT_EQ(list[0]["state"], "Enabled");

    auto unknown = sandbox.azcmagent({"extension", "remove", "--name", "nope"});
    EXPECT_EQ(unknown.exit_code, 23) << unknown.out;
    auto removed = sandbox.azcmagent({"extension", "remove", "-n", "trace"});
    ASSERT_EQ(removed.exit_code, 0) << removed.out << removed.err;
    EXPECT_TRUE(handlerDirs().empty());
    const auto after = commands();
    EXPECT_EQ(Lines(after.end() - 2, after.end()), (Lines{"disable 1.0.0", "uninstall 1.0.0"}));

    // Azure still expects it: the next start of the manager installs it again, as in the real
    // agent.
    startExtservice();
    EXPECT_TRUE(waitUntil([&] { return std::filesystem::exists(handlerDir("1.0.0")); },
                          std::chrono::seconds(20)))
        << extserviceLog();
}

} // namespace
} // namespace azcm::test
