// Guest configuration end to end: a real arc-emulator, himds and gcservice in a sandbox.
// The built-in baseline is assigned in Audit on a sandbox whose files violate it, then switched to
// ApplyAndAutoCorrect; its support-window check follows the release dates of the agent feed; a
// tampered package, or one signed for another configuration, is refused and reported;
// guestconfiguration.enabled false stops evaluation; kill -9 during a remediation is survived.
#include "common/crypto/encoding.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/paths/paths.hpp"
#include "common/utc_time.hpp"
#include "emulator/data_dir.hpp"
#include "emulator/guest_configuration_baseline.hpp"
#include "emulator/package_store.hpp"
#include "emulator/store.hpp"
#include "process.hpp"
#include "sandbox.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kMachine = "gc01";

// Fast timings; no CPU cap (parallel tests would share the daemon group's 5%).
const std::map<std::string, std::string> kFastEnv = {{"AZCM_GC_POLL_SECONDS", "1"},
                                                     {"AZCM_GC_EVALUATION_SECONDS", "2"},
                                                     {"AZCM_GC_RETRY_SECONDS", "1"}};
// The daemon's real 5-minute poll: assignments can only arrive through the long-poll.
const std::map<std::string, std::string> kLongPollEnv = {{"AZCM_GC_POLL_SECONDS", "300"},
                                                         {"AZCM_GC_EVALUATION_SECONDS", "2"},
                                                         {"AZCM_GC_RETRY_SECONDS", "1"}};

std::string readText(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

class GuestConfigurationE2E : public ::testing::Test {
protected:
    void SetUp() override {
        sandbox_.startEmulator();
        sandbox_.startHimds();
        auto sp = sandbox_.createServicePrincipal("onboarder", kOnboarding);
        auto connected = sandbox_.azcmagent(sandbox_.connectArgs(sp, kMachine));
        ASSERT_EQ(connected.exit_code, 0) << connected.out << connected.err;
    }

    void writeLocal(json settings) {
        settings["guestconfiguration.agent.cpulimit"] = 100;
        sandbox_.writeLocalConfig(settings);
    }

    std::string assignmentPath(const std::string& name) const {
        return "/subscriptions/" + sandbox_.subscription() +
               "/resourceGroups/arc-rg/providers/Microsoft.HybridCompute/machines/" + kMachine +
               "/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/" + name +
               "?api-version=2022-01-25";
    }

    void assign(const std::string& name,
                const std::string& configuration,
                const std::string& type,
                int expected_status) {
        const json body{
            {"properties",
             {{"guestConfiguration",
               {{"name", configuration}, {"version", "1.0.0"}, {"assignmentType", type}}}}}};
        auto reply = sandbox_.arm("PUT", assignmentPath(name), body);
        ASSERT_EQ(reply.status, expected_status) << reply.body.dump();
    }

    json properties(const std::string& name) const {
        auto reply = sandbox_.arm("GET", assignmentPath(name));
        return reply.status == 200 ? reply.body["properties"] : json();
    }

    // Waits until the assignment's latest report satisfies `done`; the last properties seen.
    json waitForReport(const std::string& name,
                       const std::function<bool(const json&)>& done,
                       std::chrono::seconds timeout = 30s) {
        json last;
        const bool reported = waitUntil(
            [&] {
                last = properties(name);
                return last.is_object() && last["latestAssignmentReport"].is_object() && done(last);
            },
            timeout);
        if (!reported) {
            ADD_FAILURE() << "no such report for '" << name << "'; gcservice said:\n"
                          << sandbox_.readLog("gcservice.out");
        }
        return last;
    }

    // Zips configuration.json and publishes it with `arc-emulator gc publish`.
    void publish(const std::string& name, const json& resources) {
        const json document{{"name", name}, {"version", "1.0.0"}, {"resources", resources}};
        auto zip = emulator::makeZip({{"configuration.json", document.dump(2)}});
        ASSERT_TRUE(zip);
        const auto file = sandbox_.root() / (name + ".zip");
        ASSERT_TRUE(fs::writeFileAtomic(file, zip.value()));
        auto published = sandbox_.emulatorCommand(
            {"gc", "publish", "--data-dir", sandbox_.emulatorDir().string(), "--zip", file.string(),
             "--name", name, "--version", "1.0.0"});
        ASSERT_EQ(published.exit_code, 0) << published.err;
    }

    // Publishes a deb of the version gcservice runs (as its status says) to the agent feed,
    // released at `released`: the baseline's support-window check looks it up there.
    void publishRunningAgent(std::chrono::system_clock::time_point released) {
        const std::string version = sandbox_.daemonStatus("gcservice")["version"];
        const auto file = sandbox_.root() / "azcmagent.deb";
        // What the platform detection looks at: an ar archive whose first member is debian-binary.
        ASSERT_TRUE(fs::writeFileAtomic(
            file, "!<arch>\ndebian-binary   1700000000  0     0     100644  4         `\n2.0\n"));
        auto published = sandbox_.emulatorCommand(
            {"agent", "publish", "--data-dir", sandbox_.emulatorDir().string(), "--package",
             file.string(), "--version", version, "--released", rfc3339Seconds(released)});
        ASSERT_EQ(published.exit_code, 0) << published.err;
    }

    static json resourceReport(const json& properties, const std::string& id) {
        for (const auto& resource : properties["latestAssignmentReport"]["resources"]) {
            if (resource["resourceId"] == id) {
                return resource;
            }
        }
        return json();
    }

    static std::string phrases(const json& properties) {
        std::string all;
        for (const auto& resource : properties["latestAssignmentReport"]["resources"]) {
            for (const auto& reason : resource["reasons"]) {
                all += resource["resourceId"].get<std::string>() + ": " +
                       reason["phrase"].get<std::string>() + "\n";
            }
        }
        return all;
    }

    Sandbox sandbox_;
};

TEST_F(GuestConfigurationE2E, BaselineAuditShowsViolationsAndAutoCorrectFixesThem) {
    // The sandbox violates the baseline: root login and passwords over SSH, a readable key
    // directory, remote access on.
    const auto ssh = sandbox_.root() / "etc/ssh";
    std::filesystem::create_directories(ssh);
    ASSERT_TRUE(fs::writeFileAtomic(
        ssh / "sshd_config", "PermitRootLogin yes\nPasswordAuthentication yes\n", {0644, {}}));
    const auto certs = Paths(sandbox_.root()).certsDir();
    ASSERT_EQ(::chmod(certs.c_str(), 0755), 0);
    writeLocal(json::object());
    // Started before anything is assigned, polling every 5 minutes: both assignments below reach
    // it through the assignments long-poll (docs/protocol.md section 4).
    sandbox_.startDaemon("gcservice", kLongPollEnv);
    publishRunningAgent(std::chrono::system_clock::now());

    assign("baseline", "AzureArcSecurityBaseline", "Audit", 201);
    auto audited =
        waitForReport("baseline", [](const json& p) { return p["complianceStatus"] != "Pending"; });
    ASSERT_EQ(audited["complianceStatus"], "NonCompliant") << audited.dump(2);
    EXPECT_TRUE(audited["lastComplianceStatusChecked"].is_string());
    const auto reasons = phrases(audited);
    EXPECT_EQ(resourceReport(audited, "agent-within-support-window")["complianceStatus"],
              "Compliant")
        << reasons;
    EXPECT_NE(reasons.find("sshd-permit-root-login-no: PermitRootLogin is yes"), std::string::npos)
        << reasons;
    EXPECT_NE(reasons.find("sshd-password-authentication-no"), std::string::npos) << reasons;
    EXPECT_NE(reasons.find("certs-directory-0700"), std::string::npos) << reasons;
    // Audit changed nothing.
    EXPECT_NE(readText(ssh / "sshd_config").find("PermitRootLogin yes"), std::string::npos);
    EXPECT_EQ(std::filesystem::status(certs).permissions() & std::filesystem::perms::all,
              std::filesystem::perms(0755));

    assign("baseline", "AzureArcSecurityBaseline", "ApplyAndAutoCorrect", 200);
    EXPECT_EQ(properties("baseline")["complianceStatus"], "Pending");
    auto corrected =
        waitForReport("baseline", [](const json& p) { return p["complianceStatus"] != "Pending"; });
    ASSERT_EQ(corrected["complianceStatus"], "Compliant") << phrases(corrected);
    EXPECT_NE(readText(ssh / "sshd_config").find("PermitRootLogin no"), std::string::npos);
    EXPECT_EQ(std::filesystem::status(certs).permissions() & std::filesystem::perms::all,
              std::filesystem::perms(0700));
    // The daemon's own view agrees.
    const auto status = sandbox_.daemonStatus("gcservice");
    ASSERT_EQ(status["assignments"].size(), 1u) << status.dump(2);
    EXPECT_EQ(status["assignments"][0]["complianceStatus"], "Compliant");
    ASSERT_EQ(status["cpu"].size(), 1u) << status.dump(2);
    EXPECT_EQ(status["cpu"][0]["component"], "gcservice");
}

// The running version was released 13 months ago: the baseline finds it outside the 12-month
// window, whatever the build date, and an automatic correction cannot change that.
TEST_F(GuestConfigurationE2E, BaselineFindsAnAgentReleasedThirteenMonthsAgoUnsupported) {
    writeLocal(json::object());
    sandbox_.startDaemon("gcservice", kFastEnv);
    publishRunningAgent(std::chrono::system_clock::now() - std::chrono::days(396));
    assign("baseline", "AzureArcSecurityBaseline", "ApplyAndAutoCorrect", 201);
    auto reported =
        waitForReport("baseline", [](const json& p) { return p["complianceStatus"] != "Pending"; });
    EXPECT_EQ(reported["complianceStatus"], "NonCompliant");
    const auto support = resourceReport(reported, "agent-within-support-window");
    ASSERT_TRUE(support.is_object()) << phrases(reported);
    EXPECT_EQ(support["complianceStatus"], "NonCompliant");
    const std::string phrase = support["reasons"][0]["phrase"];
    EXPECT_NE(phrase.find("left the 12-month support window"), std::string::npos) << phrase;
    EXPECT_NE(phrase.find("cannot be remediated"), std::string::npos) << phrase;
}

TEST_F(GuestConfigurationE2E, TamperedPackageIsRefusedAndReported) {
    const auto marker = sandbox_.root() / "tampered-ran";
    publish("Tampered",
            json::array({{{"id", "probe"},
                          {"type", "command"},
                          {"properties", {{"test", "touch " + marker.string() + "; exit 100"}}}}}));
    // Someone with write access to the package storage swaps the zip and fixes up its size and
    // hash; only the signature (over the original bytes) is beyond their reach.
    {
        auto store = emulator::Store::open(sandbox_.emulatorDir() / "emulator.db");
        ASSERT_TRUE(store);
        auto found = emulator::findPackage(*store.value(), emulator::kPackageKindGuestConfiguration,
                                           "", "Tampered", "1.0.0");
        ASSERT_TRUE(found && found.value());
        auto package = *found.value();
        const json evil{{"name", "Tampered"},
                        {"version", "1.0.0"},
                        {"resources",
                         json::array({{{"id", "evil"},
                                       {"type", "command"},
                                       {"properties",
                                        {{"test", "touch " + marker.string() + "; exit 100"}}}}})}};
        auto bytes = emulator::makeZip({{"configuration.json", evil.dump()}});
        ASSERT_TRUE(bytes);
        package.size = bytes.value().size();
        package.sha256 = crypto::hexEncode(crypto::sha256(bytes.value()));
        const emulator::DataDir dir(sandbox_.emulatorDir());
        ASSERT_TRUE(fs::writeFileAtomic(emulator::packageFile(dir, package), bytes.value()));
        ASSERT_TRUE(store.value()->putPackage(package));
    }
    writeLocal(json::object());
    sandbox_.startDaemon("gcservice", kFastEnv);
    assign("tampered", "Tampered", "Audit", 201);
    auto reported = waitForReport("tampered", [](const json& p) {
        return !p["latestAssignmentReport"]["resources"].empty();
    });
    const auto reasons = phrases(reported);
    EXPECT_NE(reasons.find("The package was refused: signature"), std::string::npos) << reasons;
    EXPECT_EQ(reported["latestAssignmentReport"]["resources"][0]["reasons"][0]["code"],
              "GuestConfiguration:PackageVerificationFailed");
    EXPECT_EQ(reported["complianceStatus"], "Pending");
    EXPECT_FALSE(std::filesystem::exists(marker));
    const auto status = sandbox_.daemonStatus("gcservice");
    EXPECT_NE(status["assignments"][0]["lastError"].get<std::string>().find("signature"),
              std::string::npos);
}

// Whoever controls the goal state can offer any stored package under any name; the signature
// names the configuration, so a genuine package under another name is refused before it is
// opened, and nothing of it runs.
TEST_F(GuestConfigurationE2E, PackageSignedForAnotherConfigurationIsRefusedAndReported) {
    const auto marker = sandbox_.root() / "impostor-ran";
    publish("Genuine",
            json::array({{{"id", "probe"},
                          {"type", "command"},
                          {"properties", {{"test", "touch " + marker.string() + "; exit 100"}}}}}));
    {
        auto store = emulator::Store::open(sandbox_.emulatorDir() / "emulator.db");
        ASSERT_TRUE(store);
        auto found = emulator::findPackage(*store.value(), emulator::kPackageKindGuestConfiguration,
                                           "", "Genuine", "1.0.0");
        ASSERT_TRUE(found && found.value());
        auto impostor = *found.value(); // the same bytes, hash and signature
        impostor.type = "Impostor";
        ASSERT_TRUE(store.value()->putPackage(impostor));
    }
    writeLocal(json::object());
    sandbox_.startDaemon("gcservice", kFastEnv);
    assign("impostor", "Impostor", "Audit", 201);
    auto reported = waitForReport("impostor", [](const json& p) {
        return !p["latestAssignmentReport"]["resources"].empty();
    });
    const auto reasons = phrases(reported);
    EXPECT_NE(reasons.find("The package was refused: the package is signed for name 'Genuine'; "
                           "the goal state asks for 'Impostor'"),
              std::string::npos)
        << reasons;
    EXPECT_EQ(reported["latestAssignmentReport"]["resources"][0]["reasons"][0]["code"],
              "GuestConfiguration:PackageVerificationFailed");
    EXPECT_FALSE(std::filesystem::exists(marker));

    // The genuine name is evaluated: the package itself was never the problem.
    assign("genuine", "Genuine", "Audit", 201);
    waitForReport("genuine", [](const json& p) { return p["complianceStatus"] != "Pending"; });
    EXPECT_TRUE(std::filesystem::exists(marker));
}

TEST_F(GuestConfigurationE2E, DisabledGuestConfigurationStopsEvaluation) {
    const auto marker = sandbox_.root() / "remediated";
    publish("Remediate",
            json::array({{{"id", "touch"},
                          {"type", "command"},
                          {"properties",
                           {{"test", "test -e " + marker.string() + " && exit 100; exit 101"},
                            {"set", "touch " + marker.string() + "; exit 100"}}}}}));
    writeLocal({{"guestconfiguration.enabled", false}});
    sandbox_.startDaemon("gcservice", kFastEnv);
    assign("remediate", "Remediate", "ApplyAndAutoCorrect", 201);
    auto reported = waitForReport("remediate", [](const json& p) {
        return !p["latestAssignmentReport"]["resources"].empty();
    });
    EXPECT_EQ(reported["complianceStatus"], "Pending");
    EXPECT_EQ(reported["latestAssignmentReport"]["resources"][0]["reasons"][0]["code"],
              "GuestConfiguration:GuestConfigurationDisabled");
    EXPECT_NE(phrases(reported).find("guestconfiguration.enabled is false"), std::string::npos);
    std::this_thread::sleep_for(3s); // more evaluation periods pass
    EXPECT_FALSE(std::filesystem::exists(marker));
    EXPECT_EQ(sandbox_.daemonStatus("gcservice")["evaluationAllowed"], false);

    // Enabled again and reloaded (root only): the next evaluation remediates.
    writeLocal({{"guestconfiguration.enabled", true}});
    auto reloaded =
        ipc::call(Paths(sandbox_.root()).socketFor("gcservice"), http::Verb::post, "/reload");
    ASSERT_TRUE(reloaded);
    ASSERT_EQ(reloaded.value().result_int(), 200) << reloaded.value().body();
    auto evaluated = waitForReport(
        "remediate", [](const json& p) { return p["complianceStatus"] != "Pending"; });
    EXPECT_EQ(evaluated["complianceStatus"], "Compliant") << phrases(evaluated);
    EXPECT_TRUE(std::filesystem::exists(marker));
}

TEST_F(GuestConfigurationE2E, KillDuringRemediationThenRestartCompletesAndReports) {
    const auto started = sandbox_.root() / "set-started";
    const auto release = sandbox_.root() / "set-release";
    const auto done = sandbox_.root() / "set-done";
    publish("Crash",
            json::array(
                {{{"id", "slow-fix"},
                  {"type", "command"},
                  {"properties",
                   {{"test", "test -e " + done.string() + " && exit 100; exit 101"},
                    {"set", "touch " + started.string() + "; while [ ! -e " + release.string() +
                                " ]; do sleep 0.1; done; touch " + done.string() + "; exit 100"},
                    {"timeout_seconds", 60}}}}}));
    writeLocal(json::object());
    sandbox_.startDaemon("gcservice", kFastEnv);
    assign("crash", "Crash", "ApplyAndAutoCorrect", 201);
    ASSERT_TRUE(waitUntil([&] { return std::filesystem::exists(started); }, 30s));
    sandbox_.stopDaemon("gcservice", true); // kill -9 in the middle of the set script
    EXPECT_EQ(properties("crash")["complianceStatus"], "Pending");
    ASSERT_TRUE(fs::writeFileAtomic(release, ""));
    sandbox_.startDaemon("gcservice", kFastEnv);
    auto reported =
        waitForReport("crash", [](const json& p) { return p["complianceStatus"] != "Pending"; });
    EXPECT_EQ(reported["complianceStatus"], "Compliant") << phrases(reported);
    EXPECT_TRUE(std::filesystem::exists(done));
}

} // namespace
} // namespace azcm::test
