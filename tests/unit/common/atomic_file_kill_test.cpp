// fs::writeFileAtomic killed with SIGKILL: at every step of a write (the victim kills itself just
// before its N-th file-system call) and at random moments. After each kill the file and its backup
// parse; after the next write nothing but the file and its backup is left in the directory.
#include "common/fs/atomic_file.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm {
namespace {

namespace stdfs = std::filesystem;

constexpr int kKilled = 128 + SIGKILL; // runCommand's exit code for a child killed by SIGKILL

bool parses(const stdfs::path& path) {
    auto text = fs::readFile(path);
    return text && nlohmann::json::accept(text.value());
}

// Entries besides the file and its backup.
std::vector<std::string> litter(const stdfs::path& file) {
    std::vector<std::string> out;
    const auto name = file.filename().string();
    for (const auto& entry : stdfs::directory_iterator(file.parent_path())) {
        const auto entry_name = entry.path().filename().string();
        if (entry_name != name && entry_name != name + ".bak") {
            out.push_back(entry_name);
        }
    }
    return out;
}

std::string describe(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) {
        out += (out.empty() ? "" : ", ") + name;
    }
    return out.empty() ? "(nothing)" : out;
}

// A file and a backup as a previous run of the agent left them.
void seed(const stdfs::path& file) {
    ASSERT_TRUE(fs::writeFileAtomic(file, R"({"seq": -2})", {0644, {}}, true));
    ASSERT_TRUE(fs::writeFileAtomic(file, R"({"seq": -1})", {0644, {}}, true));
}

// What a killed writer may leave until the next write: its temp file, its backup link and the
// lock file.
void expectParsesWithBoundedLitter(const stdfs::path& file, const std::string& when) {
    EXPECT_TRUE(parses(file)) << when;
    EXPECT_TRUE(parses(file.string() + ".bak")) << when << ": the backup is lost or torn";
    EXPECT_LE(litter(file).size(), 3U) << when << ": " << describe(litter(file));
}

void expectNextWriteSweeps(const stdfs::path& file, const std::string& when) {
    ASSERT_TRUE(fs::writeFileAtomic(file, R"({"seq": 100})", {0644, {}}, true)) << when;
    EXPECT_TRUE(parses(file)) << when;
    EXPECT_TRUE(parses(file.string() + ".bak")) << when;
    EXPECT_TRUE(litter(file).empty()) << when << ": left behind " << describe(litter(file));
}

TEST(AtomicFileKillTest, KilledBeforeEveryStepTheFileAndBackupParseAndTheNextWriteSweeps) {
    int steps = 0;
    for (int kill_at = 1;; ++kill_at) {
        ASSERT_LT(kill_at, 1000) << "the victim never finished";
        test::TempDir dir;
        const auto file = dir.path() / "state.json";
        seed(file);
        const auto run = test::runCommand(
            {AZCM_ATOMIC_WRITE_VICTIM, file.string(), std::to_string(kill_at), "2"});
        if (run.exit_code == 0) {
            break; // two whole writes need fewer calls: every step has been a last one
        }
        ASSERT_EQ(run.exit_code, kKilled) << "kill at call " << kill_at << ": " << run.err;
        ++steps;
        const auto when = "killed before call " + std::to_string(kill_at);
        expectParsesWithBoundedLitter(file, when);
        expectNextWriteSweeps(file, when);
    }
    EXPECT_GT(steps, 10);
}

// Starts the victim writing in a loop and returns once its first write is complete.
pid_t startLoopingWriter(const stdfs::path& file) {
    int ready[2];
    if (::pipe(ready) != 0) {
        return -1;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(ready[1], STDOUT_FILENO);
        ::close(ready[0]);
        ::close(ready[1]);
        const std::string victim = AZCM_ATOMIC_WRITE_VICTIM;
        const std::string path = file.string();
        ::execl(victim.c_str(), victim.c_str(), path.c_str(), "0", "-1", nullptr);
        ::_exit(127);
    }
    ::close(ready[1]);
    char byte = 0;
    const bool started = pid > 0 && ::read(ready[0], &byte, 1) == 1;
    ::close(ready[0]);
    return started ? pid : -1;
}

TEST(AtomicFileKillTest, KilledAtRandomMomentsManyTimesNoBackupIsLostAndLitterStaysBounded) {
    test::TempDir dir;
    const auto file = dir.path() / "state.json";
    seed(file);
    // Kill moments spread over a few writes, timed here on this machine.
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(fs::writeFileAtomic(file, R"({"seq": 0})", {0644, {}}, true));
    }
    const auto per_write = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now() - started) /
                           20;
    constexpr int kRounds = 120;
    std::mt19937 random(20261201);
    std::uniform_int_distribution<long> delay_us(0, 3 * per_write.count() + 1);
    for (int round = 0; round < kRounds; ++round) {
        const pid_t writer = startLoopingWriter(file);
        ASSERT_GT(writer, 0);
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
        ::kill(writer, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(writer, &status, 0), writer);
        ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << ": the writer stopped by itself";
        expectParsesWithBoundedLitter(file, "round " + std::to_string(round));
        if (HasFailure()) {
            return;
        }
    }
    expectNextWriteSweeps(file, "after " + std::to_string(kRounds) + " kills");
}

// The lock file of another account is never honoured: it could hold every writer off forever.
TEST(AtomicFileKillTest, ALockFileOwnedBySomeoneElseIsRefusedAndNamed) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "making a file of another uid needs root (CI runs as root)";
    }
    test::TempDir dir;
    const auto file = dir.path() / "state.json";
    seed(file);
    const auto lock = dir.path() / ".state.json.lock";
    ASSERT_TRUE(fs::createExclusive(lock, ""));
    ASSERT_EQ(::chown(lock.c_str(), 65534, 65534), 0);
    auto written = fs::writeFileAtomic(file, R"({"seq": 1})", {0644, {}}, true);
    ASSERT_FALSE(written);
    EXPECT_NE(written.error().message.find(lock.string()), std::string::npos)
        << written.error().message;
    EXPECT_EQ(fs::readFile(file).value(), R"({"seq": -1})");
}

} // namespace
} // namespace azcm
