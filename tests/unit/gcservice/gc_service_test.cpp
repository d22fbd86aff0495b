// GcService against a fake control plane and the engine's fake backend: the schedule, the local
// controls, the package checks and the reports, without a network or a real emulator.
#include "common/agent_version.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/package_signature.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/utc_time.hpp"
#include "file_identity.hpp"
#include "gcservice/engine/fake_backend.hpp"
#include "gcservice/gc_service.hpp"
#include "loop_pump.hpp"
#include "process.hpp"
#include "socket_caller.hpp"
#include "temp_dir.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

namespace azcm::gcservice {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

la_ssize_t append(struct archive*, void* client, const void* buffer, size_t length) {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
}

std::string zipOf(const std::string& configuration) {
    std::string bytes;
    struct archive* writer = archive_write_new();
    archive_write_set_format_zip(writer);
    archive_write_open(writer, &bytes, nullptr, &append, nullptr);
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, "configuration.json");
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(configuration.size()));
    archive_write_header(writer, entry);
    archive_write_data(writer, configuration.data(), configuration.size());
    archive_entry_free(entry);
    archive_write_close(writer);
    archive_write_free(writer);
    return bytes;
}

// Holds long-polls as the emulator does: until the goal state changes, the wait ends or
// cancelWaits().
struct FakeControlPlane final : ControlPlane {
    std::mutex mutex;
    std::condition_variable goal_state_changed;
    bool cancelled = false;
    // Outlives the fake (which the service owns): tests read it after the service is gone.
    std::shared_ptr<std::atomic<bool>> cancel_seen = std::make_shared<std::atomic<bool>>(false);
    std::vector<std::chrono::seconds> waits_asked;
    json goal_state{{"assignments", json::array()}};
    std::string package_bytes;
    std::string root_path;
    std::vector<json> reports;
    int downloads = 0;
    // The agent feed's answer; an error when `releases_error` is set.
    json releases{{"platform", "deb"}, {"versions", json::array()}};
    std::string releases_error;
    std::vector<std::string> release_platforms_asked;

    Result<ControlPlaneTarget> target() override {
        return ControlPlaneTarget{"https://cp.example/gc", "", root_path, std::nullopt,
                                  "https://cp.example/his"};
    }
    std::string etagLocked() const {
        return "\"" + std::to_string(std::hash<std::string>{}(goal_state.dump())) + "\"";
    }
    Result<GoalStateAnswer> assignments(const std::string& etag,
                                        std::chrono::seconds wait) override {
        std::unique_lock lock(mutex);
        waits_asked.push_back(wait);
        goal_state_changed.wait_for(lock, wait, [&] { return cancelled || etagLocked() != etag; });
        if (cancelled) {
            return makeError(exitcode::kNetwork, "the request was cancelled");
        }
        const auto tag = etagLocked();
        if (tag == etag) {
            return GoalStateAnswer{true, tag, json()};
        }
        return GoalStateAnswer{false, tag, goal_state};
    }
    void cancelWaits() override {
        std::lock_guard lock(mutex);
        cancelled = true;
        *cancel_seen = true;
        goal_state_changed.notify_all();
    }
    std::vector<std::chrono::seconds> waits() {
        std::lock_guard lock(mutex);
        return waits_asked;
    }
    Result<void>
    download(const std::string&, const std::filesystem::path& destination, std::uint64_t) override {
        std::lock_guard lock(mutex);
        ++downloads;
        return fs::writeFileAtomic(destination, package_bytes);
    }
    Result<void> report(const json& body) override {
        std::lock_guard lock(mutex);
        reports.push_back(body);
        return ok();
    }
    std::vector<json> sent() {
        std::lock_guard lock(mutex);
        return reports;
    }
    Result<json> agentReleases(const std::string& platform) override {
        std::lock_guard lock(mutex);
        release_platforms_asked.push_back(platform);
        if (!releases_error.empty()) {
            return makeError(exitcode::kNetwork, releases_error);
        }
        return releases;
    }
    std::vector<std::string> releasePlatformsAsked() {
        std::lock_guard lock(mutex);
        return release_platforms_asked;
    }
};

// A configuration name and version, as an assignment asks for them or a signature names them.
struct Named {
    std::string name = "C";
    std::string version = "1.0.0";
};

class GcServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto key = crypto::generateRsaPrivateKeyPem(2048).value();
        root_pem_ = crypto::createSelfSignedCaPem(key, "root", std::chrono::hours(24)).value();
        key_pem_ = key;
        plane_->root_path = (dir_.path() / "root.crt").string();
        ASSERT_TRUE(fs::writeFileAtomic(plane_->root_path, root_pem_));
    }
    void TearDown() override { stopService(); }

    // One assignment "a1" asking for `asked`, of a package with `resources_` (one command
    // resource unless a test says otherwise) that the trusted root signed as `signed_as`;
    // `served_override`: other bytes served in its place.
    void offer(const std::string& type,
               const std::string& served_override = {},
               const Named& asked = {},
               const Named& signed_as = {},
               std::int64_t sequence = 1) {
        const json configuration{
            {"name", signed_as.name}, {"version", signed_as.version}, {"resources", resources_}};
        const auto bytes = zipOf(configuration.dump());
        const auto served = served_override.empty() ? bytes : served_override;
        const crypto::PackageIdentity identity{std::string(crypto::kPackageKindGuestConfiguration),
                                               "", signed_as.name, signed_as.version};
        const auto signature = crypto::signPackage(bytes, identity, key_pem_, root_pem_).value();
        std::lock_guard lock(plane_->mutex);
        plane_->goal_state_changed.notify_all();
        plane_->package_bytes = served;
        plane_->goal_state = json{{"assignments",
                                   {{{"name", "a1"},
                                     {"configurationName", asked.name},
                                     {"version", asked.version},
                                     {"assignmentType", type},
                                     {"sequenceNumber", sequence},
                                     {"package",
                                      {{"url", "https://cp.example/p"},
                                       {"size", served.size()},
                                       {"sha256", crypto::hexEncode(crypto::sha256(served))},
                                       {"signature", crypto::base64Encode(signature)}}}}}}};
    }

    // The reports sent about `name`, oldest first.
    std::vector<json> reportsFor(const std::string& name) {
        std::vector<json> out;
        for (const auto& report : plane_->sent()) {
            if (report["name"] == name) {
                out.push_back(report);
            }
        }
        return out;
    }

    // Waits for a report about `name` with sequence number `sequence` and returns the first;
    // an empty object when none came.
    json waitForReport(const std::string& name, std::int64_t sequence) {
        json found = json::object();
        waitFor(
            [&] {
                for (const auto& report : reportsFor(name)) {
                    if (report["sequenceNumber"] == sequence) {
                        found = report;
                        return true;
                    }
                }
                return false;
            },
            15s);
        return found;
    }

    void startService(const json& local = json::object()) {
        ASSERT_TRUE(fs::ensureDirectory(paths_.agentDataDir(), {0755, {}}));
        ASSERT_TRUE(fs::writeFileAtomic(paths_.localConfig(), local.dump()));
        GcOptions options;
        options.poll_interval = poll_interval_;
        options.evaluation_interval = evaluation_interval_;
        options.long_poll_wait = long_poll_wait_;
        options.access = access_;
        options.request_shutdown = [this] { shutdown_requested_ = true; };
        GcServiceParts parts{std::unique_ptr<ControlPlane>(plane_owner_.release()),
                             std::unique_ptr<Backend>(backend_owner_.release()),
                             {}};
        service_ = std::make_unique<GcService>(io_, workers_, paths_, options, std::move(parts));
        ASSERT_TRUE(service_->start());
    }
    // For a test that calls the control socket with a blocking client: the service's io_context
    // then runs on a thread of its own instead of being pumped by the test.
    void runIoInBackground() {
        io_thread_ = std::thread([this] {
            auto guard = boost::asio::make_work_guard(io_);
            io_.run();
        });
    }
    void stopService() {
        if (!service_) {
            return;
        }
        if (io_thread_.joinable()) {
            boost::asio::post(io_, [this] { service_->stop(); });
            io_.stop();
            io_thread_.join();
        } else {
            service_->stop(); // this thread is the service's io thread
            test::pumpReady(io_);
        }
        workers_.join();
        service_.reset();
    }
    // Pumps the service's io_context (tests/testutils/loop_pump.hpp) until `done`, or waits for
    // it while the io_context runs in the background.
    bool waitFor(const std::function<bool()>& done, std::chrono::seconds budget = 15s) {
        return io_thread_.joinable() ? test::waitUntil(done, budget)
                                     : test::pumpUntil(io_, done, budget);
    }
    bool waitForReports(std::size_t count) {
        return waitFor([&] { return plane_->sent().size() >= count; });
    }

    test::TempDir dir_;
    Paths paths_{dir_.path()};
    std::string root_pem_;
    std::string key_pem_;
    std::unique_ptr<FakeControlPlane> plane_owner_ = std::make_unique<FakeControlPlane>();
    FakeControlPlane* plane_ = plane_owner_.get();
    std::unique_ptr<FakeBackend> backend_owner_ = std::make_unique<FakeBackend>();
    FakeBackend* backend_ = backend_owner_.get();
    boost::asio::io_context io_;
    boost::asio::thread_pool workers_{1};
    std::thread io_thread_;
    std::unique_ptr<GcService> service_;
    ipc::ControlAccessPolicy access_{::geteuid(), std::nullopt};
    std::atomic<bool> shutdown_requested_{false};
    std::chrono::seconds poll_interval_{1s};
    std::chrono::seconds long_poll_wait_{0s};
    std::chrono::seconds evaluation_interval_{1s};
    json resources_ = json::array(
        {{{"id", "cmd"}, {"type", "command"}, {"properties", {{"test", "t"}, {"set", "s"}}}}});
};

TEST_F(GcServiceTest, AutoCorrectSetsAndReportsCompliant) {
    std::mutex mutex;
    bool fixed = false;
    backend_->on_command = [&](const std::vector<std::string>& argv) {
        std::lock_guard lock(mutex);
        const bool is_set = argv.back() == "s";
        if (is_set) {
            fixed = true;
        }
        return CommandOutcome{is_set || fixed ? 100 : 101, false, ""};
    };
    offer("ApplyAndAutoCorrect");
    startService();
    ASSERT_TRUE(waitForReports(1));
    const auto report = plane_->sent().front();
    EXPECT_EQ(report["name"], "a1");
    EXPECT_EQ(report["evaluated"], true);
    EXPECT_EQ(report["complianceStatus"], "Compliant") << report.dump(2);
    EXPECT_EQ(report["resources"][0]["remediated"], true);
    // Persisted: the state file knows the assignment and its report went out.
    const auto state = loadGcState(paths_.guestConfigStateDir() / "state.json");
    ASSERT_TRUE(state);
    ASSERT_EQ(state.value().assignments.size(), 1u);
    EXPECT_EQ(state.value().assignments[0].applied_key.empty(), false);
    EXPECT_EQ(std::filesystem::status(paths_.guestConfigStateDir()).permissions() &
                  std::filesystem::perms::all,
              std::filesystem::perms::owner_all);
}

// Two support checks in one package: the feed is asked once, for the machine's platform, and
// both are judged against its release of the running version.
TEST_F(GcServiceTest, AgentSupportIsJudgedAgainstTheFeedAskedOncePerEvaluation) {
    resources_ = json::array(
        {{{"id", "support"}, {"type", "agent_support"}},
         {{"id", "support-6"}, {"type", "agent_support"}, {"properties", {{"window_months", 6}}}}});
    plane_->releases["versions"] =
        json::array({{{"version", azcm::agentVersion()},
                      {"released", rfc3339Seconds(std::chrono::system_clock::now())}}});
    evaluation_interval_ = 3600s;
    offer("Audit");
    startService();
    const auto report = waitForReport("a1", 1);
    ASSERT_EQ(report.value("evaluated", false), true) << report.dump(2);
    EXPECT_EQ(report["complianceStatus"], "Compliant") << report.dump(2);
    EXPECT_NE(report["resources"][0]["reason"].get<std::string>().find(
                  "agent " + azcm::agentVersion() + " (released "),
              std::string::npos)
        << report.dump(2);
    EXPECT_EQ(plane_->releasePlatformsAsked(), std::vector<std::string>{"deb"});
}

TEST_F(GcServiceTest, AgentSupportWithoutTheFeedIsReportedAsAnError) {
    resources_ = json::array({{{"id", "support"}, {"type", "agent_support"}}});
    plane_->releases_error = "connection refused";
    offer("Audit");
    startService();
    const auto report = waitForReport("a1", 1);
    ASSERT_EQ(report.value("evaluated", false), true) << report.dump(2);
    EXPECT_EQ(report["complianceStatus"], "NonCompliant");
    EXPECT_EQ(report["resources"][0]["error"],
              "test failed: cannot verify the support window: the deb agent release list could "
              "not be fetched: connection refused");
}

// A machine whose agent came from an RPM (an RPM database, and no azcmagent package known to
// dpkg) asks the rpm feed; anything else the deb one.
TEST(AgentPackagePlatformTest, RpmOnlyWhenTheRpmDatabaseExistsAndDpkgDoesNotKnowTheAgent) {
    test::TempDir dir;
    const Paths paths(dir.path());
    EXPECT_EQ(agentPackagePlatform(paths), "deb");
    std::filesystem::create_directories(dir.path() / "var/lib/rpm");
    EXPECT_EQ(agentPackagePlatform(paths), "rpm");
    std::filesystem::create_directories(dir.path() / "var/lib/dpkg/info");
    ASSERT_TRUE(fs::writeFileAtomic(dir.path() / "var/lib/dpkg/info/azcmagent.list", "/opt\n"));
    EXPECT_EQ(agentPackagePlatform(paths), "deb");
}

TEST_F(GcServiceTest, DisabledGuestConfigurationReportsTheReasonAndRunsNothing) {
    std::atomic<int> commands{0};
    backend_->on_command = [&](const std::vector<std::string>&) {
        ++commands;
        return CommandOutcome{101, false, ""};
    };
    offer("ApplyAndAutoCorrect");
    startService({{"guestconfiguration.enabled", false}});
    ASSERT_TRUE(waitForReports(2));
    const auto report = plane_->sent().front();
    EXPECT_EQ(report["evaluated"], false);
    EXPECT_EQ(report["reasonCode"], "GuestConfigurationDisabled");
    EXPECT_EQ(commands.load(), 0);
    EXPECT_EQ(plane_->downloads, 0); // nothing fetched either
    EXPECT_EQ(service_->status()["evaluationAllowed"], false);
}

TEST_F(GcServiceTest, MonitorModeStopsEvaluationToo) {
    offer("Audit");
    startService({{"config.mode", "monitor"}});
    ASSERT_TRUE(waitForReports(1));
    EXPECT_EQ(plane_->sent().front()["reasonCode"], "MonitorMode");
}

TEST_F(GcServiceTest, TamperedPackageIsRefusedBeforeItIsOpened) {
    std::atomic<int> commands{0};
    backend_->on_command = [&](const std::vector<std::string>&) {
        ++commands;
        return CommandOutcome{100, false, ""};
    };
    // The served bytes differ from the signed ones; size and hash are the served bytes' own.
    offer("Audit", zipOf(R"({"name":"C","version":"1.0.0","resources":[]})"));
    startService();
    ASSERT_TRUE(waitForReports(1));
    const auto report = plane_->sent().front();
    EXPECT_EQ(report["evaluated"], false);
    EXPECT_EQ(report["reasonCode"], "PackageVerificationFailed");
    EXPECT_NE(report["reason"].get<std::string>().find("signature"), std::string::npos);
    EXPECT_EQ(commands.load(), 0);
    EXPECT_TRUE(std::filesystem::is_empty(paths_.guestConfigStateDir() / "packages"));
}

// The signature names the configuration and version: a package signed for another one is refused
// before it is opened, and so is an extracted package offered to an assignment it was not
// signed for.
TEST_F(GcServiceTest, PackageSignedForAnotherConfigurationOrVersionIsRefusedBeforeItIsOpened) {
    std::atomic<int> commands{0};
    backend_->on_command = [&](const std::vector<std::string>&) {
        ++commands;
        return CommandOutcome{100, false, ""};
    };
    offer("Audit", {}, {"C", "1.0.0"}, {"D", "1.0.0"});
    startService();
    const auto other_name = waitForReport("a1", 1);
    ASSERT_FALSE(other_name.empty()) << "no report";
    EXPECT_EQ(other_name["reasonCode"], "PackageVerificationFailed") << other_name.dump();
    EXPECT_NE(other_name["reason"].get<std::string>().find("signed for name 'D'"),
              std::string::npos)
        << other_name.dump();

    offer("Audit", {}, {"C", "1.0.0"}, {"C", "1.0.1"}, 2);
    const auto other_version = waitForReport("a1", 2);
    ASSERT_FALSE(other_version.empty()) << "no report";
    EXPECT_EQ(other_version["reasonCode"], "PackageVerificationFailed") << other_version.dump();
    EXPECT_NE(other_version["reason"].get<std::string>().find("signed for version '1.0.1'"),
              std::string::npos)
        << other_version.dump();
    EXPECT_EQ(commands.load(), 0);
    EXPECT_TRUE(std::filesystem::is_empty(paths_.guestConfigStateDir() / "packages"));
}

TEST_F(GcServiceTest, AnExtractedPackageIsNotReusedForAnotherConfiguration) {
    offer("Audit");
    startService();
    const auto first = waitForReport("a1", 1);
    ASSERT_EQ(first.value("evaluated", false), true) << first.dump();
    {
        // a2 names the package a1 uses (same URL, hash and signature) under another name.
        std::lock_guard lock(plane_->mutex);
        auto second = plane_->goal_state["assignments"][0];
        second["name"] = "a2";
        second["configurationName"] = "E";
        plane_->goal_state["assignments"].push_back(second);
        plane_->goal_state_changed.notify_all();
    }
    const auto reused = waitForReport("a2", 1);
    ASSERT_FALSE(reused.empty()) << "no report";
    EXPECT_EQ(reused["reasonCode"], "PackageVerificationFailed") << reused.dump();
    EXPECT_NE(reused["reason"].get<std::string>().find("signed for name 'C'"), std::string::npos)
        << reused.dump();
}

TEST_F(GcServiceTest, AnOlderPackageOnlyWhenTheAssignmentNamesItsVersion) {
    offer("Audit", {}, {"C", "1.0"}, {"C", "1.0.5"}, 1);
    startService();
    ASSERT_EQ(waitForReport("a1", 1).value("evaluated", false), true);
    // The line "1.0" still covers 1.0.5: an older 1.0.2 is not what the assignment asks for.
    offer("Audit", {}, {"C", "1.0"}, {"C", "1.0.2"}, 2);
    const auto refused = waitForReport("a1", 2);
    ASSERT_FALSE(refused.empty()) << "no report";
    EXPECT_EQ(refused["reasonCode"], "PackageVerificationFailed") << refused.dump();
    EXPECT_NE(refused["reason"].get<std::string>().find("downgrade from 1.0.5 to 1.0.2"),
              std::string::npos)
        << refused.dump();
    // The assignment names 1.0.2 itself: evaluated.
    offer("Audit", {}, {"C", "1.0.2"}, {"C", "1.0.2"}, 3);
    const auto asked = waitForReport("a1", 3);
    EXPECT_EQ(asked.value("evaluated", false), true) << asked.dump();
}

// With a 5-minute poll interval, an assignment added while gcservice holds a
// long-poll open is evaluated and reported at once; stopping abandons the long-poll.
TEST_F(GcServiceTest, LongPollBringsANewAssignmentWithoutWaitingForThePoll) {
    poll_interval_ = 300s;
    long_poll_wait_ = 30s;
    offer("Audit");
    startService();
    ASSERT_TRUE(waitForReports(1));
    ASSERT_TRUE(waitFor(
        [&] {
            const auto waits = plane_->waits();
            return !waits.empty() && waits.back() == 30s;
        },
        15s))
        << "gcservice never long-polled";
    {
        std::lock_guard lock(plane_->mutex);
        auto second = plane_->goal_state["assignments"][0];
        second["name"] = "a2";
        plane_->goal_state["assignments"].push_back(second);
        plane_->goal_state_changed.notify_all();
    }
    // Far sooner than the 300 s poll: only the long-poll can have brought it.
    EXPECT_TRUE(waitFor(
        [&] {
            for (const auto& report : plane_->sent()) {
                if (report["name"] == "a2") {
                    return true;
                }
            }
            return false;
        },
        15s));
    const auto waits = plane_->waits();
    EXPECT_EQ(waits.front(), 0s); // the first request has no ETag: nothing to wait for
    const auto cancel_seen = plane_->cancel_seen;
    stopService(); // returns: the held long-poll is cancelled, not waited out
    EXPECT_TRUE(*cancel_seen);
}

// An idle gcservice gets the same goal state at every poll: its state file, written crash-safe
// with two fsyncs, is left alone unless something in it changes (docs/benchmarks.md).
TEST_F(GcServiceTest, AnUnchangedGoalStateDoesNotRewriteTheStateFile) {
    poll_interval_ = 1s;
    evaluation_interval_ = 3600s; // one evaluation, then nothing but polls
    offer("Audit");
    startService();
    ASSERT_TRUE(waitForReports(1));
    const auto polls_after = [&](std::size_t more) {
        const auto start = plane_->waits().size();
        return waitFor([&] { return plane_->waits().size() >= start + more; });
    };
    // The accepted report is recorded after it was sent; two polls later the state is at rest.
    ASSERT_TRUE(polls_after(2));
    const auto state_file = paths_.guestConfigStateDir() / "state.json";
    const auto at_rest = test::fileIdentity(state_file);
    ASSERT_TRUE(at_rest);
    ASSERT_TRUE(polls_after(3)) << "gcservice stopped polling";
    EXPECT_EQ(test::fileIdentity(state_file), at_rest);
    EXPECT_EQ(reportsFor("a1").size(), 1U);
}

// Control socket access (docs/architecture.md) with the kernel's credentials: status for root and
// the reader group, reload for root (or the daemon's own user) only. As root the callers are uid
// 65534 with chosen groups; as an ordinary user this process is made a reader by making its uid
// unprivileged.
TEST_F(GcServiceTest, ControlSocketAnswersByPeerCredentials) {
    const bool root = ::geteuid() == 0;
    const gid_t reader_group = root ? 4242 : ::getegid();
    access_ = {root ? 0 : ::geteuid() + 1, reader_group};
    startService();
    runIoInBackground();
    std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
    const auto socket = paths_.socketFor("gcservice");
    const test::SocketCaller reader =
        root ? test::SocketCaller{65534, {reader_group}} : test::SocketCaller{};
    EXPECT_EQ(test::unixSocketStatus(socket, "GET", "/status", reader), 200);
    EXPECT_EQ(test::unixSocketStatus(socket, "POST", "/reload", reader), 403);
    if (root) {
        EXPECT_EQ(test::unixSocketStatus(socket, "GET", "/status", {65534, {}}), 403);
        EXPECT_EQ(test::unixSocketStatus(socket, "POST", "/reload"), 200);
    }
}

// The shutdown route every daemon has: refused to a reader, answered to the daemon's own user,
// whose request takes the daemon's shutdown path.
TEST_F(GcServiceTest, ShutdownRouteAsksTheDaemonToStop) {
    startService();
    runIoInBackground();
    const auto socket = paths_.socketFor("gcservice");
    if (::geteuid() == 0) {
        std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
        EXPECT_EQ(test::unixSocketStatus(socket, "POST", "/shutdown", {65534, {}}), 403);
        EXPECT_FALSE(shutdown_requested_);
    }
    EXPECT_EQ(test::unixSocketStatus(socket, "POST", "/shutdown"), 200);
    EXPECT_TRUE(test::waitUntil([&] { return shutdown_requested_.load(); }, 10s));
}

} // namespace
} // namespace azcm::gcservice
