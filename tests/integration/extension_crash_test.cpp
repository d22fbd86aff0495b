// kill -9 of extservice at each step of an install and of an upgrade, then a restart: the
// machine converges to the goal state, the interrupted command is re-run once, nothing is left
// half-installed. And protected settings reach the handler, which decrypts them
// with the settings certificate it is given, while they appear in no log and no world-readable
// file.
#include "common/crypto/encoding.hpp"
#include "common/paths/paths.hpp"
#include "extension_test_fixture.hpp"
#include "process.hpp"

#include <fstream>

#include <sys/stat.h>

namespace azcm::test {
namespace {

using nlohmann::json;
using Lines = std::vector<std::string>;

int countOf(const Lines& lines, const std::string& line) {
    return static_cast<int>(std::count(lines.begin(), lines.end(), line));
}

class ExtensionCrashTest : public ExtensionTest, public ::testing::WithParamInterface<const char*> {
protected:
    // Waits until the handler is held at `command` (its "waiting" line), then kill -9.
    void crashWhileWaiting(const std::string& command, const std::string& version) {
        const auto waiting = "waiting " + command + " " + version;
        ASSERT_TRUE(waitUntil(
            [&] {
                const auto lines = traceLines();
                return std::find(lines.begin(), lines.end(), waiting) != lines.end();
            },
            std::chrono::seconds(30)))
            << "never reached " << waiting << "\n"
            << extserviceLog();
        sandbox.stopDaemon("extservice", true);
    }
    void releaseAndRestart() {
        std::ofstream(marker.string()) << "go";
        startExtservice();
    }
    void expectNoLeftovers() {
        for (const auto& dir : handlerDirs()) {
            EXPECT_EQ(dir.find(".extract"), std::string::npos) << dir;
        }
        EXPECT_TRUE(std::filesystem::is_empty(Paths(sandbox.root()).downloadsDir()));
    }
};

TEST_P(ExtensionCrashTest, InstallConvergesAfterKillAtEachCommand) {
    const std::string step = GetParam();
    HandlerBehaviour hold;
    hold.wait_command = step;
    publish("1.0.0", hold);
    startExtservice();
    putExtension("trace", "1.0.0");
    crashWhileWaiting(step, "1.0.0");
    releaseAndRestart();
    auto done = waitSettled("trace", std::chrono::seconds(40));
    ASSERT_EQ(stateOf(done), "Succeeded") << done.dump() << extserviceLog();
    const auto ran = commands();
    // The interrupted command ran again once after the restart; nothing else twice.
    EXPECT_EQ(countOf(ran, step + " 1.0.0"), 2) << ::testing::PrintToString(ran);
    EXPECT_NE(extserviceLog().find("EXT_RECOVER"), std::string::npos);
    EXPECT_EQ(ran.back(), "enable 1.0.0");
    EXPECT_EQ(handlerDirs(), (Lines{std::string(kHandler) + "-1.0.0"}));
    expectNoLeftovers();
}

INSTANTIATE_TEST_SUITE_P(Steps, ExtensionCrashTest, ::testing::Values("install", "enable"));

class ExtensionUpgradeCrashTest : public ExtensionCrashTest {};

TEST_P(ExtensionUpgradeCrashTest, UpgradeConvergesAfterKillAtEachCommand) {
    const std::string step = GetParam();
    // The old version holds at disable/uninstall, the new one at update/install/enable.
    const bool old_side = step == "disable" || step == "uninstall";
    HandlerBehaviour hold;
    hold.wait_command = step;
    publish("1.0.0", old_side ? hold : HandlerBehaviour{});
    publish("2.0.0", old_side ? HandlerBehaviour{} : hold);
    startExtservice();
    putExtension("trace", "1.0.0");
    ASSERT_EQ(stateOf(waitSettled("trace")), "Succeeded") << extserviceLog();
    putExtension("trace", "2.0.0");
    crashWhileWaiting(step, old_side ? "1.0.0" : "2.0.0");
    releaseAndRestart();
    auto done = waitSettled("trace", std::chrono::seconds(40));
    ASSERT_EQ(stateOf(done), "Succeeded") << done.dump() << extserviceLog();
    EXPECT_EQ(done["properties"]["instanceView"].value("typeHandlerVersion", ""), "2.0.0");
    const auto ran = commands();
    EXPECT_EQ(ran.back(), "enable 2.0.0") << ::testing::PrintToString(ran);
    EXPECT_EQ(handlerDirs(), (Lines{std::string(kHandler) + "-2.0.0"}));
    expectNoLeftovers();
}

INSTANTIATE_TEST_SUITE_P(Steps,
                         ExtensionUpgradeCrashTest,
                         ::testing::Values("disable", "update", "uninstall", "install", "enable"));

// Every file under `root` whose content holds `needle`, except the control plane's own database
// (the emulator keeps what ARM was given; its logs are searched).
std::vector<std::string> filesContaining(const std::filesystem::path& root,
                                         const std::filesystem::path& control_plane_dir,
                                         const std::string& needle) {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(
             root, std::filesystem::directory_options::skip_permission_denied)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        const auto ext = entry.path().extension();
        const bool log = ext == ".log" || ext == ".out";
        if (!log && entry.path().string().rfind(control_plane_dir.string(), 0) == 0) {
            continue;
        }
        std::ifstream in(entry.path(), std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        if (text.find(needle) == std::string::npos) {
            continue;
        }
        struct stat info {};
        ::stat(entry.path().c_str(), &info);
        found.push_back(entry.path().string() + ((info.st_mode & 0004) ? " (world-readable)" : ""));
    }
    return found;
}

TEST_F(ExtensionTest, ProtectedSettingsReachTheHandlerAndNoLogOrReadableFile) {
    const std::string secret = "s3cr3t-" + std::to_string(::getpid()) + "-value";
    const json protected_settings{{"password", secret}};
    publish("1.0.0");
    startExtservice();
    putExtension("secret", "1.0.0", json{{"greeting", "hi"}}, protected_settings);
    auto done = waitSettled("secret", std::chrono::seconds(40));
    ASSERT_EQ(stateOf(done), "Succeeded") << done.dump() << extserviceLog();

    // The handler decrypted it with <thumbprint>.crt/.prv and wrote the plaintext's digest.
    std::ifstream in(digest);
    std::string written;
    in >> written;
    EXPECT_EQ(written, crypto::hexEncode(crypto::sha256(protected_settings.dump())));

    // The key pair is root's alone.
    const auto status = sandbox.daemonStatus("extservice");
    const auto thumbprint =
        status["settingsCertificate"].value("thumbprint", std::string("missing"));
    struct stat key {};
    ASSERT_EQ(::stat((Paths(sandbox.root()).extensionsDir() / (thumbprint + ".prv")).c_str(), &key),
              0)
        << status.dump();
    EXPECT_EQ(key.st_mode & 0777, 0600U);

    // Nowhere in clear: not in a log, not in any file (the sandbox holds every file of the
    // agent, the emulator's database and the handler's directories).
    for (const auto& file : filesContaining(sandbox.root(), sandbox.emulatorDir(), secret)) {
        ADD_FAILURE() << "the secret is in " << file;
    }
}

} // namespace
} // namespace azcm::test
