// `azcmagent config set` (the real binary, in a sandbox) killed with SIGKILL at random moments of
// its run: localconfig.json always holds the old or the new settings and parses, so does its
// .bak, and once a writer has run to the end no temporary file is left. On a full disk the old
// file and its backup survive unchanged.
#include "common/config/local_config.hpp"
#include "common/paths/paths.hpp"
#include "crash_support.hpp"
#include "process.hpp"
#include "sandbox.hpp"

#include <csignal>
#include <cstring>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace azcm::test {
namespace {

using nlohmann::json;
namespace fsys = std::filesystem;

// This scenario's share of the harness's 1000 kills: a run takes milliseconds.
constexpr int kConfigKills = 850;

std::string allowlistOf(int publishers) {
    std::string value;
    for (int i = 0; i < publishers; ++i) {
        value += (i == 0 ? "" : ",") + std::string("Publisher.Number") + std::to_string(i) +
                 "/Type" + std::to_string(i);
    }
    return value;
}

// The allowlist the file holds, joined as given on the command line; a message if it does not
// parse.
std::string allowlistIn(const fsys::path& file, std::string& problem) {
    const auto text = readWholeFile(file);
    const auto document = json::parse(text, nullptr, false);
    if (document.is_discarded()) {
        problem = file.string() + " is not JSON: " + text.substr(0, 200);
        return {};
    }
    auto parsed = config::parseLocalConfig(document);
    if (!parsed) {
        problem = file.string() + ": " + parsed.error().message;
        return {};
    }
    std::string joined;
    for (const auto& entry : parsed.value().extensions_allowlist) {
        joined += (joined.empty() ? "" : ",") + entry;
    }
    return joined;
}

CommandResult configSet(const Sandbox& sandbox, const std::string& value) {
    return sandbox.azcmagent({"config", "set", "extensions.allowlist", value});
}

TEST(CrashHarness, ConfigSetKilledAtRandomMomentsKeepsOldOrNewAndLeavesNoLitter) {
    Sandbox sandbox;
    const Paths paths(sandbox.root());
    const auto file = paths.localConfig();
    const auto backup = fsys::path(file.string() + ".bak");
    // Values of very different sizes, so a torn or mixed file cannot pass for either.
    const std::vector<std::string> values = {allowlistOf(1), allowlistOf(300), allowlistOf(7)};

    // Kill moments spread over one whole run, timed here.
    const auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(configSet(sandbox, values[0]).exit_code, 0);
    const auto run = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    ASSERT_EQ(configSet(sandbox, values[1]).exit_code, 0);
    KillClock clock(run);
    std::string current = values[1];

    const int kills = killCount(kConfigKills);
    int killed_running = 0;
    for (int round = 0; round < kills; ++round) {
        const auto& next = values[round % values.size()];
        SpawnOptions options;
        options.env = {{"AZCM_ROOT", sandbox.root().string()}};
        DaemonProcess writer;
        writer.start({binDir() + "/azcmagent", "config", "set", "extensions.allowlist", next},
                     options);
        std::this_thread::sleep_for(clock.next());
        if (writer.running()) {
            ::kill(writer.pid(), SIGKILL);
            ++killed_running;
        }
        writer.stop();

        std::string problem;
        const auto now = allowlistIn(file, problem);
        ASSERT_TRUE(problem.empty())
            << "round " << round << " (seed " << clock.seed() << "): " << problem;
        ASSERT_TRUE(now == current || now == next)
            << "round " << round << " (seed " << clock.seed() << "): neither the old nor the new "
            << "allowlist, " << now.size() << " characters";
        current = now;
        // Once a write has completed, the previous file is kept and parses.
        ASSERT_TRUE(fsys::exists(backup))
            << "round " << round << " (seed " << clock.seed() << "): " << backup << " is gone";
        (void)allowlistIn(backup, problem);
        ASSERT_TRUE(problem.empty()) << "round " << round << ": " << problem;

        if (round % 20 == 19 || round == kills - 1) {
            // The next start (a writer run to its end) leaves nothing of the killed ones.
            const auto& value = values[(round + 1) % values.size()];
            auto completed = configSet(sandbox, value);
            ASSERT_EQ(completed.exit_code, 0) << completed.out << completed.err;
            current = value;
            const auto litter = litterUnder(file.parent_path());
            ASSERT_TRUE(litter.empty())
                << "round " << round << " (seed " << clock.seed()
                << "): left behind after a complete run: " << ::testing::PrintToString(litter);
        }
    }
    std::cout << "config set: " << kills << " kill rounds, " << killed_running
              << " killed while running (run " << run.count() << " us, seed " << clock.seed()
              << ")\n";
    // Most kills must land inside a run, or the harness tests nothing.
    EXPECT_GT(killed_running, kills / 2);
}

TEST(CrashHarness, ConfigSetOnAFullDiskKeepsTheOldFileAndBackup) {
    ASSERT_EQ(::geteuid(), 0U) << "mounting a tmpfs needs root (CI runs as root)";
    Sandbox sandbox;
    const auto file = Paths(sandbox.root()).localConfig();
    const auto backup = fsys::path(file.string() + ".bak");
    TmpfsMount disk(file.parent_path(), "256k");
    ASSERT_TRUE(disk.mounted()) << std::strerror(errno);
    ASSERT_EQ(configSet(sandbox, allowlistOf(1)).exit_code, 0);
    ASSERT_EQ(configSet(sandbox, allowlistOf(2)).exit_code, 0);
    const auto before = readWholeFile(file);
    const auto backup_before = readWholeFile(backup);
    disk.fill();

    for (int attempt = 0; attempt < 5; ++attempt) {
        auto full = configSet(sandbox, allowlistOf(400 + attempt));
        EXPECT_NE(full.exit_code, 0) << full.out;
        EXPECT_EQ(readWholeFile(file), before);
        // The backup may already have been moved on to the current file; it is one of the two.
        const auto backup_now = readWholeFile(backup);
        EXPECT_TRUE(backup_now == backup_before || backup_now == before);
        EXPECT_EQ(litterUnder(file.parent_path()), std::vector<std::string>{});
    }
}

} // namespace
} // namespace azcm::test
