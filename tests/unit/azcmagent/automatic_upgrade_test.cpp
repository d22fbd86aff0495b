// The decisions of `azcmagent upgrade --automatic` against a scripted himds: what ARM asks, what
// the local key allows, the random delay and the single attempt per request.
#include "azcmagent/automatic_upgrade.hpp"
#include "common/config/local_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "fake_environment.hpp"

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

using nlohmann::json;
using test::FakeEnvironment;

class NeverInstalls final : public PackageInstaller {
public:
    crypto::AgentPlatform platform() const override { return crypto::AgentPlatform::kDeb; }
    Result<AgentVersion> installedVersion() const override {
        return *parseAgentVersion("1.0.1000.0");
    }
    Result<void> install(const std::filesystem::path&, const AgentVersion&, bool) override {
        ++installs;
        return ok();
    }
    std::string name() const override { return "never"; }
    bool replacesRunningAgent() const override { return false; }
    Result<void> whollyInstalled(const AgentVersion&) const override { return ok(); }

    int installs = 0;
};

class AutomaticUpgradeTest : public ::testing::Test {
protected:
    AutomaticUpgradeTest() {
        fake_.himds_status["agentUpgrade"] = {{"enableAutomaticUpgrade", true},
                                              {"desiredVersion", "1.0.2000.0"},
                                              {"correlationId", "c-1"}};
        fake_.env().now = [this] { return now_; };
    }

    json run(double fraction = 0.5) {
        const Console console(fake_.env(), {});
        auto result =
            runAutomaticUpgrade(fake_.env(), console, installer_, [fraction] { return fraction; });
        return result ? result.value() : json{{"error", result.error().message}};
    }

    void setLocal(const config::LocalConfig& local) {
        ASSERT_TRUE(fs::ensureDirectory(fake_.env().paths.agentDataDir()));
        ASSERT_TRUE(fs::writeFileAtomic(fake_.env().paths.localConfig(),
                                        config::toPublicJson(local).dump()));
    }

    int reportsToHimds() const {
        int reports = 0;
        for (const auto& call : fake_.himds_calls) {
            reports += call.target == "/agentupgrade/result" ? 1 : 0;
        }
        return reports;
    }

    FakeEnvironment fake_;
    NeverInstalls installer_;
    std::chrono::system_clock::time_point now_{std::chrono::seconds(1800000000)};
};

TEST_F(AutomaticUpgradeTest, TheLocalKeyRefusesWhateverArmAsks) {
    config::LocalConfig local;
    local.automatic_upgrade_enabled = false;
    setLocal(local);
    const auto result = run(0.0);
    EXPECT_EQ(result.value("action", ""), "none") << result;
    EXPECT_NE(result.value("reason", "").find("agentupgrade.automatic.enabled"), std::string::npos);
    EXPECT_EQ(reportsToHimds(), 0);
}

TEST_F(AutomaticUpgradeTest, NothingIsDoneWithoutARequestOrAtTheDesiredVersion) {
    fake_.himds_status["agentUpgrade"]["enableAutomaticUpgrade"] = false;
    EXPECT_EQ(run(0.0).value("reason", ""), "Azure asks for no automatic upgrade");
    fake_.himds_status["agentUpgrade"]["enableAutomaticUpgrade"] = true;
    fake_.himds_status["agentUpgrade"]["desiredVersion"] = "";
    EXPECT_EQ(run(0.0).value("reason", ""), "Azure asks for no automatic upgrade");
    fake_.himds_status["agentUpgrade"]["desiredVersion"] = "1.0.1000.0";
    EXPECT_NE(run(0.0).value("reason", "").find("at the desired version"), std::string::npos);
    EXPECT_FALSE(
        std::filesystem::exists(fake_.env().paths.agentDataDir() / "upgrade" / "automatic.json"))
        << "no schedule for a request with nothing to do";
}

TEST_F(AutomaticUpgradeTest, ARequestWaitsItsRandomShareOfTheMaximumDelay) {
    config::LocalConfig local;
    local.automatic_upgrade_max_delay_minutes = 100;
    setLocal(local);
    const auto first = run(0.25);
    EXPECT_EQ(first.value("action", ""), "waiting") << first;
    EXPECT_EQ(first.value("notBefore", ""), "2027-01-15T08:25:00Z") << "25 of 100 minutes";

    now_ += std::chrono::minutes(24);
    EXPECT_EQ(run(0.9).value("action", ""), "waiting") << "the delay is drawn once per request";

    now_ += std::chrono::minutes(1);
    const auto attempted = run();
    EXPECT_NE(attempted.value("error", "").find("not connected"), std::string::npos) << attempted;
    EXPECT_EQ(reportsToHimds(), 1) << "a failed attempt is reported to ARM";

    const auto again = run();
    EXPECT_NE(again.value("reason", "").find("attempted already"), std::string::npos) << again;
    EXPECT_EQ(reportsToHimds(), 1) << "tried once";

    fake_.himds_status["agentUpgrade"]["correlationId"] = "c-2";
    EXPECT_EQ(run(0.5).value("action", ""), "waiting") << "a new request starts over";
}

TEST_F(AutomaticUpgradeTest, ADamagedScheduleStartsOver) {
    ASSERT_TRUE(fs::ensureDirectory(fake_.env().paths.agentDataDir() / "upgrade"));
    ASSERT_TRUE(fs::writeFileAtomic(fake_.env().paths.agentDataDir() / "upgrade" / "automatic.json",
                                    "{not json"));
    EXPECT_EQ(run(0.5).value("action", ""), "waiting");
}

TEST_F(AutomaticUpgradeTest, OnlyRootAndAReachableHimdsDecide) {
    fake_.himds_up = false;
    EXPECT_NE(run().value("error", "").find("himds does not answer"), std::string::npos);
    fake_.elevated = false;
    EXPECT_NE(run().value("error", "").find("root"), std::string::npos);
    EXPECT_EQ(installer_.installs, 0);
}

} // namespace
} // namespace azcm::azcmagent
