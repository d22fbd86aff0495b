#include "extservice/handler/handler_manager.hpp"
#include "extservice/reconciler.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace azcm::extservice {
namespace {

// One extension the control plane asks to install (Creating: it waits for our report).
GoalExtension requestedInstall() {
    GoalExtension extension;
    extension.name = "hello";
    extension.state = "enabled";
    extension.sequence_number = 1;
    extension.provisioning_state = "Creating";
    extension.publisher = "Contoso";
    extension.type = "Tools";
    extension.version = "1.0.0";
    PackageRef package;
    package.url = "https://packages.example.test/Contoso.Tools/1.0.0";
    package.size = 100;
    package.sha256 = std::string(64, 'a');
    package.signature_base64 = "AAAA";
    extension.package = package;
    return extension;
}

// The pieces a pass works on, in a private root without cgroups; the control plane is faked and
// can be made to "stop" the daemon in the middle of a call.
class ReconcilerStopTest : public ::testing::Test {
protected:
    ReconcilerStopTest()
        : paths_(root_.path()), handlers_(handlerOptions(paths_)),
          caps_(cgroupFreeLimiter(root_.path()), 5), state_(root_.path() / "extensions.json") {}

    static extservice::HandlerManagerOptions handlerOptions(const Paths& paths) {
        extservice::HandlerManagerOptions options;
        options.paths = paths;
        return options;
    }
    static std::unique_ptr<platform::CpuLimiter>
    cgroupFreeLimiter(const std::filesystem::path& root) {
        platform::CpuLimiterOptions options;
        options.daemon_name = "extd";
        options.root_prefix = root;
        return std::make_unique<platform::CpuLimiter>(options);
    }

    // A control plane whose downloads and reports fail as an abandoned call does, and that
    // flips `stopping_` first when `stop_during_call` is set.
    ControlPlaneCalls callsThatFail(bool stop_during_call) {
        ControlPlaneCalls calls;
        calls.download = [this, stop_during_call](const std::string&, std::uint64_t,
                                                  const std::filesystem::path&) -> Result<void> {
            ++downloads_;
            stopping_ = stopping_ || stop_during_call;
            return makeError(exitcode::kNetwork, "the request was cancelled");
        };
        calls.report = [this, stop_during_call](const nlohmann::json& body) -> Result<void> {
            reports_.push_back(body);
            stopping_ = stopping_ || stop_during_call;
            return makeError(exitcode::kNetwork, "the request was cancelled");
        };
        calls.stopping = [this] { return stopping_; };
        return calls;
    }

    void reconcile(const GoalExtension& extension,
                   const config::LocalConfig& local,
                   ControlPlaneCalls calls) {
        GoalState goal;
        goal.extensions.push_back(extension);
        Reconciler reconciler(paths_, handlers_, caps_, state_, std::move(calls));
        reconciler.reconcile(goal, local, "");
    }

    test::TempDir root_;
    Paths paths_;
    extservice::HandlerManager handlers_;
    ExtensionCpuCaps caps_;
    ReportedState state_;
    bool stopping_ = false;
    int downloads_ = 0;
    std::vector<nlohmann::json> reports_;
};

TEST_F(ReconcilerStopTest, ADownloadAbandonedForTheStopRecordsNoFailure) {
    reconcile(requestedInstall(), {}, callsThatFail(/*stop_during_call=*/true));
    EXPECT_EQ(downloads_, 1);
    // Nothing stored and nothing reported: the next start installs it as if never begun.
    EXPECT_FALSE(state_.find("hello"));
    EXPECT_TRUE(reports_.empty());
}

TEST_F(ReconcilerStopTest, ADownloadThatFailsWhileRunningIsAFailureReported) {
    reconcile(requestedInstall(), {}, callsThatFail(/*stop_during_call=*/false));
    const auto record = state_.find("hello");
    ASSERT_TRUE(record);
    EXPECT_EQ(record->outcome, "Failed");
    EXPECT_NE(record->message.find("package download failed"), std::string::npos);
    ASSERT_EQ(reports_.size(), 1U);
    EXPECT_FALSE(record->reported);
}

TEST_F(ReconcilerStopTest, AReportCutOffByTheStopIsKeptForTheNextStart) {
    config::LocalConfig local;
    local.extensions_enabled = false; // a local refusal: settled without a download
    reconcile(requestedInstall(), local, callsThatFail(/*stop_during_call=*/true));
    EXPECT_EQ(downloads_, 0);
    ASSERT_EQ(reports_.size(), 1U);
    const auto record = state_.find("hello");
    ASSERT_TRUE(record);
    EXPECT_EQ(record->code, "ExtensionBlockedByLocalPolicy");
    EXPECT_FALSE(record->reported);

    // The next start's pass sends the kept record and marks it reported.
    stopping_ = false;
    ControlPlaneCalls working = callsThatFail(false);
    working.report = [this](const nlohmann::json& body) -> Result<void> {
        reports_.push_back(body);
        return boost::outcome_v2::success();
    };
    reconcile(requestedInstall(), local, std::move(working));
    ASSERT_EQ(reports_.size(), 2U);
    EXPECT_EQ(reports_[1]["status"], "Failed");
    EXPECT_TRUE(state_.find("hello")->reported);
}

TEST_F(ReconcilerStopTest, APassBegunAfterTheStopTouchesNothing) {
    stopping_ = true;
    reconcile(requestedInstall(), {}, callsThatFail(false));
    EXPECT_EQ(downloads_, 0);
    EXPECT_TRUE(reports_.empty());
    EXPECT_FALSE(state_.find("hello"));
}

} // namespace
} // namespace azcm::extservice
