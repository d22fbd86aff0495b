// `azcmagent upgrade` as shipped: the real binary, a real himds and the emulator's package feed in
// a sandbox, where the installer is the recorder that never touches the host's packages
// (docs/upgrade.md). Choosing and verifying are unit-tested (tests/unit/azcmagent/
// agent_release_test.cpp); this checks the whole path and that a refused package changes nothing.
#include "common/agent_version.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/paths/paths.hpp"
#include "process.hpp"
#include "sandbox.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>

#include <gtest/gtest.h>

namespace azcm::test {
namespace {

using nlohmann::json;

// This build's version with its BUILD field moved by `delta`: an "old" or a "new" release.
std::string versionBeside(int delta) {
    auto version = *parseAgentVersion(agentVersion());
    version.build = static_cast<std::uint16_t>(version.build + delta);
    return version.text();
}

class UpgradeTest : public ::testing::Test {
protected:
    void SetUp() override {
        sandbox_.startEmulator();
        sandbox_.startHimds();
        const auto onboarder = sandbox_.createServicePrincipal("onboarder", kOnboarding);
        const auto connect = sandbox_.azcmagent(sandbox_.connectArgs(onboarder, "up01"));
        ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err;
    }

    // A real package built by dpkg-deb and published to the running emulator; the publish
    // output ("file": where the emulator stores it).
    json publishDeb(const std::string& version) {
        const auto tree = sandbox_.root() / ("deb-" + version);
        std::filesystem::create_directories(tree / "DEBIAN");
        EXPECT_TRUE(fs::writeFileAtomic(tree / "DEBIAN" / "control",
                                        "Package: azcmagent\nVersion: " + version +
                                            "\nArchitecture: all\nMaintainer: Test "
                                            "<test@example.org>\nDescription: upgrade test\n",
                                        {0644, {}}));
        const auto deb = sandbox_.root() / ("azcmagent-" + version + ".deb");
        const auto built = runCommand(
            {"/usr/bin/dpkg-deb", "--root-owner-group", "--build", tree.string(), deb.string()});
        EXPECT_EQ(built.exit_code, 0) << built.err;
        auto published = sandbox_.emulatorCommand({"agent", "publish", "--data-dir",
                                                   sandbox_.emulatorDir().string(), "--package",
                                                   deb.string(), "--version", version});
        EXPECT_EQ(published.exit_code, 0) << published.out << published.err;
        auto document = json::parse(published.out, nullptr, false);
        return document.is_discarded() ? json::object() : document;
    }

    // `azcmagent upgrade ARGS` with a short health-check deadline.
    CommandResult upgrade(const std::vector<std::string>& args) const {
        std::vector<std::string> argv = {binDir() + "/azcmagent", "upgrade"};
        argv.insert(argv.end(), args.begin(), args.end());
        SpawnOptions options;
        options.env = {{"AZCM_ROOT", sandbox_.root().string()},
                       {"AZCM_UPGRADE_HEALTH_SECONDS", "4"}};
        return runCommand(argv, options, std::chrono::seconds(120));
    }

    std::filesystem::path upgradeDir() const {
        return Paths(sandbox_.root()).agentDataDir() / "upgrade";
    }

    // The sandbox installer's stand-in for a package's maintainer scripts (root only, 0700).
    void installHook(const std::string& script) const {
        std::filesystem::create_directories(upgradeDir());
        std::filesystem::permissions(upgradeDir(), std::filesystem::perms(0700));
        ASSERT_TRUE(fs::writeFileAtomic(upgradeDir() / "sandbox-install-hook",
                                        "#!/bin/sh\n" + script, {0700, {}}));
    }

    // The packages left in the upgrade directory, by name.
    std::vector<std::string> packagesKept() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(upgradeDir())) {
            if (entry.path().extension() == ".deb") {
                names.push_back(entry.path().filename().string());
            }
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    // What the sandbox's installer recorded; null before any install.
    json installed() const {
        const auto record =
            Paths(sandbox_.root()).agentDataDir() / "upgrade" / "sandbox-installed.json";
        auto text = fs::readFile(record);
        return text ? json::parse(text.value(), nullptr, false) : json();
    }

    // ARM's agentUpgrade of the machine once its lastAttemptStatus is `status` (himds reports
    // with its next heartbeat, one a second here); the last one seen otherwise.
    json lastAttemptInArm(const std::string& status) const {
        json upgrade;
        waitUntil(
            [&] {
                const auto machine = sandbox_.getMachine("arc-rg", "up01");
                upgrade = machine ? (*machine)["properties"].value("agentUpgrade", json()) : json();
                return upgrade.is_object() && upgrade.value("lastAttemptStatus", "") == status;
            },
            std::chrono::seconds(20));
        return upgrade;
    }

    Sandbox sandbox_;
};

TEST_F(UpgradeTest, TheNewestReleaseIsInstalledOnceAndThenIsCurrent) {
    publishDeb(agentVersion());
    publishDeb(versionBeside(1));
    const auto newest = versionBeside(2);
    publishDeb(newest);

    const auto upgrade = sandbox_.azcmagent({"upgrade", "--json"});
    ASSERT_EQ(upgrade.exit_code, 0) << upgrade.out << upgrade.err;
    const auto answer = json::parse(upgrade.out);
    EXPECT_EQ(answer["previousVersion"], agentVersion());
    EXPECT_EQ(answer["version"], newest);
    EXPECT_EQ(answer["upgraded"], true);
    EXPECT_EQ(answer["installer"], "sandbox");
    EXPECT_EQ(installed()["version"], newest);
    const auto reported = lastAttemptInArm("Success");
    EXPECT_EQ(reported.value("lastAttemptStatus", ""), "Success") << reported;
    EXPECT_EQ(reported.value("lastAttemptDesiredVersion", ""), newest) << reported;
    EXPECT_EQ(packagesKept(), std::vector<std::string>{"installed.deb"})
        << "the new release is kept for the way back, nothing else";
    EXPECT_EQ(json::parse(fs::readFile(upgradeDir() / "installed.json").value())["version"],
              newest);

    const auto again = sandbox_.azcmagent({"upgrade"});
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_NE(again.out.find("already at version " + newest), std::string::npos) << again.out;
}

TEST_F(UpgradeTest, AnOlderReleaseMustBeNamedExactly) {
    const auto older = versionBeside(-1);
    publishDeb(older);
    const auto refused = sandbox_.azcmagent({"upgrade"});
    EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
    EXPECT_NE(refused.out.find("older than the installed"), std::string::npos) << refused.out;
    EXPECT_TRUE(installed().is_null()) << "nothing installed";

    publishDeb(agentVersion());
    auto version = *parseAgentVersion(agentVersion());
    const auto line = std::to_string(version.major) + "." + std::to_string(version.minor);
    const auto current = sandbox_.azcmagent({"upgrade", "--version", line});
    EXPECT_EQ(current.exit_code, 0) << current.out;
    EXPECT_NE(current.out.find("already at version " + agentVersion()), std::string::npos)
        << "the line's newest build is the installed one: " << current.out;

    const auto named = sandbox_.azcmagent({"upgrade", "--version", older, "--json"});
    ASSERT_EQ(named.exit_code, 0) << named.out << named.err;
    EXPECT_EQ(installed()["version"], older) << "a version named exactly may go back";

    const auto unknown = sandbox_.azcmagent({"upgrade", "--version", "1.99"});
    EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
    EXPECT_NE(unknown.out.find("no published agent release matches version 1.99"),
              std::string::npos)
        << unknown.out;
    const auto malformed = sandbox_.azcmagent({"upgrade", "--version", "latest"});
    EXPECT_EQ(malformed.exit_code, 23) << malformed.out;
}

TEST_F(UpgradeTest, ATamperedPackageIsRefusedAndNothingChanges) {
    publishDeb(agentVersion());
    const auto good = versionBeside(1);
    publishDeb(good);
    ASSERT_EQ(sandbox_.azcmagent({"upgrade"}).exit_code, 0);
    const auto before = installed();

    const auto stored = publishDeb(versionBeside(2));
    const std::filesystem::path file = stored.value("file", std::string());
    auto bytes = fs::readFile(file).value();
    bytes[bytes.size() / 2] ^= 0x20;
    ASSERT_TRUE(fs::writeFileAtomic(file, bytes));

    const auto refused = sandbox_.azcmagent({"upgrade"});
    EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
    EXPECT_NE(refused.out.find("SHA-256"), std::string::npos) << refused.out;
    EXPECT_EQ(installed(), before) << "the installed release stays";
    const auto downloads = Paths(sandbox_.root()).agentDataDir() / "upgrade";
    EXPECT_FALSE(std::filesystem::exists(downloads / (versionBeside(2) + ".deb")))
        << "a refused package is not kept";
    EXPECT_NE(
        sandbox_.readLog("var/opt/azcmagent/log/azcmagent.log").find("UPGRADE_PACKAGE_REFUSED"),
        std::string::npos);
}

TEST_F(UpgradeTest, OnlyThePlatformsOwnReleasesAreOffered) {
    const auto rpm = sandbox_.root() / "agent.rpm";
    ASSERT_TRUE(fs::writeFileAtomic(rpm, std::string("\xED\xAB\xEE\xDB\x03\x00 an rpm", 14)));
    const auto only_rpm = versionBeside(3);
    const auto published =
        sandbox_.emulatorCommand({"agent", "publish", "--data-dir", sandbox_.emulatorDir().string(),
                                  "--package", rpm.string(), "--version", only_rpm});
    ASSERT_EQ(published.exit_code, 0) << published.err;
    const auto refused = sandbox_.azcmagent({"upgrade", "--version", only_rpm});
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
    EXPECT_NE(refused.out.find("publishes no agent version for this platform"), std::string::npos)
        << refused.out;
    EXPECT_TRUE(installed().is_null());
}

TEST_F(UpgradeTest, WithoutThePackageToGoBackToNothingIsInstalled) {
    publishDeb(versionBeside(1));
    const auto refused = sandbox_.azcmagent({"upgrade"});
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
    EXPECT_NE(refused.out.find("could not be restored if the upgrade failed"), std::string::npos)
        << refused.out;
    EXPECT_TRUE(installed().is_null());
}

TEST_F(UpgradeTest, AFailedInstallIsRolledBack) {
    publishDeb(agentVersion());
    const auto broken = versionBeside(1);
    publishDeb(broken);
    installHook("[ \"$1\" = " + broken +
                " ] && { echo 'postinst: himds failed to start'; exit 1; }\n"
                "exit 0\n");
    const auto failed = upgrade({});
    EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
    EXPECT_NE(failed.out.find("himds failed to start"), std::string::npos) << failed.out;
    EXPECT_NE(failed.out.find("rolled back to " + agentVersion()), std::string::npos) << failed.out;
    EXPECT_EQ(installed()["version"], agentVersion()) << "the previous release is back";
    EXPECT_EQ(packagesKept(), std::vector<std::string>{"installed.deb"});
    EXPECT_EQ(json::parse(fs::readFile(upgradeDir() / "installed.json").value())["version"],
              agentVersion())
        << "the release rolled back to is the one kept";
    EXPECT_FALSE(std::filesystem::exists(upgradeDir() / "journal.json"));
}

TEST_F(UpgradeTest, AFailedHealthCheckIsRolledBackAndNamesTheCheck) {
    sandbox_.startDaemon("gcservice");
    publishDeb(agentVersion());
    const auto unhealthy = versionBeside(1);
    publishDeb(unhealthy);
    // The new release's scripts leave guest configuration stopped.
    installHook("[ \"$1\" = " + unhealthy + " ] && kill " +
                std::to_string(sandbox_.daemonPid("gcservice")) + "\nexit 0\n");
    const auto failed = upgrade({});
    EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
    EXPECT_NE(failed.out.find("health check failed after 4 s: gcservice does not answer its "
                              "control socket"),
              std::string::npos)
        << failed.out;
    EXPECT_NE(failed.out.find("rolled back to " + agentVersion()), std::string::npos) << failed.out;
    EXPECT_EQ(installed()["version"], agentVersion());
    const auto reported = lastAttemptInArm("Failed");
    EXPECT_EQ(reported.value("lastAttemptStatus", ""), "Failed") << reported;
    EXPECT_NE(reported.value("lastAttemptMessage", "").find("gcservice does not answer"),
              std::string::npos)
        << reported;
    EXPECT_EQ(sandbox_.himdsStatus()["agentUpgrade"]["lastAttempt"]["status"], "Failed");
    sandbox_.stopDaemon("gcservice", true);
}

TEST_F(UpgradeTest, AnUpgradeKilledMidInstallIsFinishedByTheNextRun) {
    publishDeb(agentVersion());
    const auto newest = versionBeside(1);
    publishDeb(newest);
    const auto started = sandbox_.root() / "hook-started";
    installHook("touch " + started.string() + "\nsleep 60\n");
    DaemonProcess first;
    SpawnOptions options;
    options.env = {{"AZCM_ROOT", sandbox_.root().string()}};
    first.start({binDir() + "/azcmagent", "upgrade"}, options);
    ASSERT_TRUE(
        waitUntil([&] { return std::filesystem::exists(started); }, std::chrono::seconds(60)));
    ::kill(first.pid(), SIGKILL);
    first.stop();
    runCommand({"/usr/bin/pkill", "-KILL", "-f", "sandbox-install-hook"});
    ASSERT_TRUE(std::filesystem::exists(upgradeDir() / "journal.json")) << "killed mid-install";

    std::filesystem::remove(upgradeDir() / "sandbox-install-hook");
    const auto finished = upgrade({"--json"});
    ASSERT_EQ(finished.exit_code, 0) << finished.out << finished.err;
    EXPECT_EQ(json::parse(finished.out)["version"], newest);
    EXPECT_EQ(installed()["version"], newest);
    EXPECT_FALSE(std::filesystem::exists(upgradeDir() / "journal.json"));
    EXPECT_NE(sandbox_.readLog("var/opt/azcmagent/log/azcmagent.log").find("UPGRADE_RESUME"),
              std::string::npos);
}

TEST_F(UpgradeTest, ArmsDesiredVersionIsCarriedOutByTheAutomaticRun) {
    publishDeb(agentVersion());
    const auto desired = versionBeside(1);
    publishDeb(desired);
    publishDeb(versionBeside(2)); // newer than asked: ARM's version is what gets installed
    sandbox_.writeLocalConfig({{"agentupgrade.automatic.maxdelayminutes", 0}});

    const auto machine = "/subscriptions/" + sandbox_.subscription() +
                         "/resourceGroups/arc-rg/providers/Microsoft.HybridCompute/machines/up01"
                         "?api-version=2024-07-10";
    const auto patched =
        sandbox_.arm("PATCH", machine,
                     {{"properties",
                       {{"agentUpgrade",
                         {{"enableAutomaticUpgrade", true},
                          {"desiredVersion", desired},
                          {"correlationId", "0b8e7a52-33b4-4a6e-9c1e-5d1f0f6a2c11"}}}}}});
    ASSERT_EQ(patched.status, 200) << patched.body;
    ASSERT_TRUE(waitUntil(
        [&] {
            return sandbox_.himdsStatus()["agentUpgrade"].value("desiredVersion", "") == desired;
        },
        std::chrono::seconds(20)))
        << "the next heartbeat answer carries the request";

    const auto run = upgrade({"--automatic", "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(json::parse(run.out).value("action", ""), "upgraded") << run.out;
    EXPECT_EQ(installed()["version"], desired);
    const auto reported = lastAttemptInArm("Success");
    EXPECT_EQ(reported.value("lastAttemptDesiredVersion", ""), desired) << reported;

    const auto again = upgrade({"--automatic"});
    EXPECT_EQ(again.exit_code, 0) << again.out;
    EXPECT_NE(again.out.find("at the desired version"), std::string::npos) << again.out;
}

TEST_F(UpgradeTest, TheLocalKeyKeepsTheMachineWhereItIs) {
    publishDeb(agentVersion());
    publishDeb(versionBeside(1));
    const auto set =
        sandbox_.azcmagent({"config", "set", "agentupgrade.automatic.enabled", "false"});
    ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
    const auto machine = "/subscriptions/" + sandbox_.subscription() +
                         "/resourceGroups/arc-rg/providers/Microsoft.HybridCompute/machines/up01"
                         "?api-version=2024-07-10";
    ASSERT_EQ(
        sandbox_
            .arm("PATCH", machine,
                 {{"properties",
                   {{"agentUpgrade",
                     {{"enableAutomaticUpgrade", true}, {"desiredVersion", versionBeside(1)}}}}}})
            .status,
        200);
    ASSERT_TRUE(waitUntil(
        [&] { return !sandbox_.himdsStatus()["agentUpgrade"].value("desiredVersion", "").empty(); },
        std::chrono::seconds(20)));
    const auto run = upgrade({"--automatic"});
    EXPECT_EQ(run.exit_code, 0) << run.out;
    EXPECT_NE(run.out.find("agentupgrade.automatic.enabled is false"), std::string::npos)
        << run.out;
    EXPECT_TRUE(installed().is_null());
    // The machine tells Azure it refuses (agentConfiguration of its heartbeats).
    ASSERT_TRUE(waitUntil(
        [&] {
            const auto arm = sandbox_.getMachine("arc-rg", "up01");
            return arm && (*arm)["properties"]["agentConfiguration"].value(
                              "automaticUpgradeEnabled", "") == "false";
        },
        std::chrono::seconds(20)));
}

TEST_F(UpgradeTest, OneUpgradeAtATime) {
    publishDeb(agentVersion());
    publishDeb(versionBeside(1));
    std::filesystem::create_directories(upgradeDir());
    std::filesystem::permissions(upgradeDir(), std::filesystem::perms(0700));
    const auto held = sandbox_.root() / "lock-held";
    DaemonProcess holder;
    holder.start({"/usr/bin/flock", "-o", (upgradeDir() / "upgrade.lock").string(), "/bin/sh", "-c",
                  "touch " + held.string() + "; sleep 30"});
    ASSERT_TRUE(waitUntil([&] { return std::filesystem::exists(held); }, std::chrono::seconds(10)));
    const auto refused = upgrade({});
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
    EXPECT_NE(refused.out.find("another agent upgrade is running"), std::string::npos)
        << refused.out;
    EXPECT_TRUE(installed().is_null());
    holder.stop();
    EXPECT_EQ(upgrade({}).exit_code, 0) << "free again";
}

TEST_F(UpgradeTest, OnlyRootMayUpgrade) {
    const auto refused = sandbox_.azcmagent({"upgrade"}, 65534);
    EXPECT_EQ(refused.exit_code, 18) << refused.out << refused.err;
}

// The installed package's VERSION file names the version every binary reports, so a package
// repacked under another version is that version; a file that names none is ignored.
TEST(AgentVersionFile, NamesTheVersionTheBinariesReport) {
    Sandbox sandbox;
    const auto file = Paths(sandbox.root()).versionFile();
    std::filesystem::create_directories(file.parent_path());
    const auto reported = [&] {
        const auto result = sandbox.azcmagent({"version"});
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return result.out;
    };
    EXPECT_EQ(reported(), "azcmagent version " + agentVersion() + "\n") << "no file";
    ASSERT_TRUE(fs::writeFileAtomic(file, versionBeside(7) + "\n"));
    EXPECT_EQ(reported(), "azcmagent version " + versionBeside(7) + "\n");
    for (const char* invalid : {"1.0.1\n", "1.0.70000.0\n", "", "garbage"}) {
        ASSERT_TRUE(fs::writeFileAtomic(file, invalid));
        EXPECT_EQ(reported(), "azcmagent version " + agentVersion() + "\n") << invalid;
    }
}

} // namespace
} // namespace azcm::test
