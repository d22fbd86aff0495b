// The daemon skeleton (runDaemon) with a fake service: the order of its steps, the exit code and
// the stderr line of each start failure, SIGHUP reload and the orderly stop.
#include "common/daemon/daemon_main.hpp"
#include "fake_service_manager.hpp"
#include "temp_dir.hpp"

#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

namespace azcm::daemon {
namespace {

struct Record {
    std::vector<std::string> steps;
    int stops = 0;
    int reloads = 0;
};

struct FakeOptions {
    std::string value;
};

// A service whose start() succeeds or fails as told, and which asks for its own shutdown once
// running (after a SIGHUP reload when `reload_first`).
class FakeService final : public DaemonService {
public:
    FakeService(DaemonContext& context,
                Record& record,
                Result<void> start_result,
                bool reload_first)
        : context_(context), record_(record), start_result_(std::move(start_result)),
          reload_first_(reload_first) {}

    Result<void> start() override {
        record_.steps.emplace_back("start");
        if (start_result_) {
            boost::asio::post(context_.io, [this] {
                if (reload_first_) {
                    ::raise(SIGHUP); // reload() then asks for the shutdown
                } else {
                    context_.request_shutdown();
                }
            });
        }
        return start_result_;
    }
    bool stop() override {
        ++record_.stops;
        return true;
    }
    Result<void> reload() override {
        ++record_.reloads;
        context_.request_shutdown();
        return ok();
    }
    std::string readyStatus() const override { return "fake ready"; }

private:
    DaemonContext& context_;
    Record& record_;
    Result<void> start_result_;
    bool reload_first_;
};

class DaemonMainTest : public ::testing::Test {
protected:
    void SetUp() override { ::setenv("AZCM_ROOT", root_.path().c_str(), 1); }
    void TearDown() override { ::unsetenv("AZCM_ROOT"); }

    DaemonSpec<FakeOptions> spec(Result<void> start_result = ok(), bool reload_first = false) {
        DaemonSpec<FakeOptions> made;
        made.name = "unitd";
        made.description = "unitd: a test daemon";
        made.bad_option_exit_code = 23;
        made.read_options = [this](const Paths&) -> Result<FakeOptions> {
            record_.steps.emplace_back("options");
            if (bad_option_) {
                return makeError(exitcode::kInvalidArgument, "AZCM_UNIT must be a number");
            }
            return FakeOptions{"read"};
        };
        made.make_directories = [this](const Paths& paths,
                                       const FakeOptions& options) -> Result<void> {
            EXPECT_EQ(paths.root(), root_.path());
            EXPECT_EQ(options.value, "read");
            record_.steps.emplace_back("directories");
            if (bad_directory_) {
                return makeError(exitcode::kGeneric, "cannot make /var/opt/unit");
            }
            return ok();
        };
        made.log_options = [this](const Paths&) {
            record_.steps.emplace_back("log");
            return log::LogOptions{"unitd", {}, true, spdlog::level::info};
        };
        made.create = [this, start_result, reload_first](DaemonContext& context, FakeOptions) {
            record_.steps.emplace_back("create");
            return std::make_unique<FakeService>(context, record_, start_result, reload_first);
        };
        made.forbid_core_dumps = false;
        made.service_manager = &manager_;
        return made;
    }

    int run(DaemonSpec<FakeOptions> daemon, std::vector<std::string> arguments = {}) {
        std::vector<std::string> storage{"unitd"};
        storage.insert(storage.end(), arguments.begin(), arguments.end());
        std::vector<char*> argv;
        for (auto& argument : storage) {
            argv.push_back(argument.data());
        }
        ::testing::internal::CaptureStderr();
        const int code = runDaemon(static_cast<int>(argv.size()), argv.data(), std::move(daemon));
        stderr_ = ::testing::internal::GetCapturedStderr();
        return code;
    }

    test::TempDir root_;
    test::FakeServiceManager manager_;
    Record record_;
    bool bad_option_ = false;
    bool bad_directory_ = false;
    std::string stderr_;
};

TEST_F(DaemonMainTest, RunsEveryStepInOrderAndStopsOrderly) {
    EXPECT_EQ(run(spec()), 0);
    EXPECT_EQ(record_.steps,
              (std::vector<std::string>{"options", "directories", "log", "create", "start"}));
    EXPECT_EQ(manager_.ready, std::vector<std::string>{"fake ready"});
    EXPECT_EQ(manager_.stopping, 1);
    EXPECT_EQ(record_.stops, 1);
}

TEST_F(DaemonMainTest, SighupReloadsTheRunningService) {
    EXPECT_EQ(run(spec(ok(), true)), 0);
    EXPECT_EQ(record_.reloads, 1);
    EXPECT_EQ(record_.stops, 1);
}

TEST_F(DaemonMainTest, VersionAnswersBeforeAnyStep) {
    EXPECT_EQ(run(spec(), {"--version"}), 0);
    EXPECT_TRUE(record_.steps.empty());
    EXPECT_NE(run(spec(), {"--no-such-flag"}), 0);
    EXPECT_TRUE(record_.steps.empty());
}

// A Linux daemon always runs in the foreground: --console (which on Windows bypasses the service
// dispatcher) runs every step as without it.
TEST_F(DaemonMainTest, ConsoleRunsTheDaemonInTheForeground) {
    EXPECT_EQ(run(spec(), {"--console"}), 0);
    EXPECT_EQ(record_.steps,
              (std::vector<std::string>{"options", "directories", "log", "create", "start"}));
    EXPECT_EQ(manager_.ready, std::vector<std::string>{"fake ready"});
}

TEST_F(DaemonMainTest, ABadOptionExitsWithTheSpecsCodeAndSaysWhyOnStderr) {
    bad_option_ = true;
    EXPECT_EQ(run(spec()), 23);
    EXPECT_EQ(record_.steps, std::vector<std::string>{"options"});
    EXPECT_NE(stderr_.find("unitd: AZCM_UNIT must be a number"), std::string::npos) << stderr_;
}

TEST_F(DaemonMainTest, ADirectoryThatCannotBeMadeIsInitFailed) {
    bad_directory_ = true;
    EXPECT_EQ(run(spec()), exitcode::kInitFailed);
    EXPECT_NE(stderr_.find("unitd: cannot make /var/opt/unit"), std::string::npos) << stderr_;
}

TEST_F(DaemonMainTest, AStartFailureGoesToStderrAndTheLogWithItsExitCode) {
    EXPECT_EQ(run(spec(makeError(exitcode::kLocalConfigRead, "AZCM0070: bad localconfig"))),
              exitcode::kLocalConfigRead);
    // The log (to stderr here) has the DAEMON_START_FAILED line, stderr the plain message.
    EXPECT_NE(stderr_.find("DAEMON_START_FAILED AZCM0070: bad localconfig"), std::string::npos)
        << stderr_;
    EXPECT_NE(stderr_.find("unitd: AZCM0070: bad localconfig\n"), std::string::npos) << stderr_;
    EXPECT_TRUE(manager_.ready.empty()); // never ready

    record_ = {};
    EXPECT_EQ(run(spec(makeError(exitcode::kGeneric, "socket in use"))), exitcode::kInitFailed);
    EXPECT_NE(stderr_.find("unitd: socket in use"), std::string::npos) << stderr_;
}

} // namespace
} // namespace azcm::daemon
