// What happens after onboarding: heartbeats, the disconnect timeout, certificate renewal and
// expiry, and an emulator restart. The emulator's flags shorten the timeouts.
#include "sandbox.hpp"

#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string armStatus(Sandbox& sandbox, const std::string& name) {
    auto machine = sandbox.getMachine("arc-rg", name);
    return machine ? machine->at("properties").value("status", "") : "<missing>";
}

TEST(LifecycleTest, StoppedHimdsBecomesDisconnectedThenConnectedAgain) {
    Sandbox sandbox;
    EmulatorFlags flags;
    flags.heartbeat_timeout_seconds = 3;
    sandbox.startEmulator(flags);
    sandbox.startHimds();
    auto sp = sandbox.createServicePrincipal("onboarder", kOnboarding);
    ASSERT_EQ(sandbox.azcmagent(sandbox.connectArgs(sp, "hb01")).exit_code, 0);
    ASSERT_TRUE(waitUntil([&] { return armStatus(sandbox, "hb01") == "Connected"; }, 30s));

    EXPECT_EQ(sandbox.stopHimds(), 0) << "himds must stop cleanly on SIGTERM";
    EXPECT_TRUE(waitUntil([&] { return armStatus(sandbox, "hb01") == "Disconnected"; }, 30s))
        << armStatus(sandbox, "hb01");

    sandbox.startHimds();
    EXPECT_TRUE(waitUntil([&] { return armStatus(sandbox, "hb01") == "Connected"; }, 30s))
        << armStatus(sandbox, "hb01");
}

TEST(LifecycleTest, CertificateIsRenewedBeforeItLapses) {
    Sandbox sandbox;
    EmulatorFlags flags;
    flags.cert_lifetime_seconds = 12; // renewal when half of it is left
    sandbox.startEmulator(flags);
    sandbox.startHimds();
    auto sp = sandbox.createServicePrincipal("onboarder", kOnboarding);
    ASSERT_EQ(sandbox.azcmagent(sandbox.connectArgs(sp, "renew01")).exit_code, 0);
    auto first = sandbox.himdsStatus()["certificate"].value("thumbprint", "");
    ASSERT_FALSE(first.empty());
    std::string renewed;
    EXPECT_TRUE(waitUntil(
        [&] {
            renewed = sandbox.himdsStatus()["certificate"].value("thumbprint", "");
            return !renewed.empty() && renewed != first;
        },
        30s));
    // Still heartbeating with the new certificate, past the first one's lifetime.
    std::this_thread::sleep_for(13s);
    EXPECT_EQ(sandbox.himdsStatus().value("agentStatus", ""), "Connected")
        << sandbox.himdsStatus().dump(2);
    EXPECT_EQ(armStatus(sandbox, "renew01"), "Connected");
}

TEST(LifecycleTest, LapsedCertificateIsExpired) {
    Sandbox sandbox;
    EmulatorFlags flags;
    flags.cert_lifetime_seconds = 6;
    sandbox.startEmulator(flags);
    sandbox.startHimds();
    auto sp = sandbox.createServicePrincipal("onboarder", kOnboarding);
    ASSERT_EQ(sandbox.azcmagent(sandbox.connectArgs(sp, "exp01")).exit_code, 0);
    ASSERT_EQ(sandbox.stopHimds(), 0);
    // Offline for longer than the certificate lives.
    std::this_thread::sleep_for(8s);
    sandbox.startHimds();
    EXPECT_TRUE(
        waitUntil([&] { return sandbox.himdsStatus().value("agentStatus", "") == "Expired"; }, 20s))
        << sandbox.himdsStatus().dump(2);
    auto show = sandbox.azcmagent({"show", "--json"});
    EXPECT_EQ(json::parse(show.out).value("status", ""), "Expired") << show.out;
    EXPECT_EQ(armStatus(sandbox, "exp01"), "Expired");
}

TEST(LifecycleTest, EmulatorRestartKeepsMachines) {
    Sandbox sandbox;
    EmulatorFlags flags;
    flags.heartbeat_timeout_seconds = 5;
    sandbox.startEmulator(flags);
    sandbox.startHimds();
    auto sp = sandbox.createServicePrincipal("onboarder", kOnboarding);
    ASSERT_EQ(sandbox.azcmagent(sandbox.connectArgs(sp, "keep01")).exit_code, 0);
    auto before = sandbox.getMachine("arc-rg", "keep01");
    ASSERT_TRUE(before);
    sandbox.stopEmulator();
    sandbox.startEmulator(flags);
    auto after = sandbox.getMachine("arc-rg", "keep01");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->at("properties").value("vmId", ""),
              before->at("properties").value("vmId", ""));
    // The same credentials still work and himds keeps heartbeating to the restarted emulator.
    EXPECT_TRUE(waitUntil([&] { return armStatus(sandbox, "keep01") == "Connected"; }, 30s));
    auto sp2 = sandbox.createServicePrincipal("onboarder-2", kOnboarding);
    EXPECT_FALSE(sp2.app_id.empty());
}

} // namespace
} // namespace azcm::test
