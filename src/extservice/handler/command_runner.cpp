#include "extservice/handler/command_runner.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/log/log.hpp"
#include "common/platform/child_environment.hpp"
#include "common/platform/child_process.hpp"
#include "common/platform/command_interpreter.hpp"
#include "common/utc_time.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <sstream>
#include <vector>

namespace azcm::extservice {

namespace {

namespace stdfs = std::filesystem;

constexpr std::size_t kMessageTailChars = 3200; // what telemetry keeps of the output

std::string utcStamp() {
    const auto now = std::chrono::system_clock::now();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::array<char, 8> msbuf{};
    std::snprintf(msbuf.data(), msbuf.size(), "%03d", static_cast<int>(ms.count()));
    return compactUtcStamp(now) + msbuf.data() + "Z";
}

// Deletes the oldest capture files until the directory fits its budget.
void enforceBudget(const stdfs::path& dir, std::size_t budget) {
    std::error_code ec;
    std::vector<std::pair<stdfs::path, std::uintmax_t>> files;
    for (const auto& entry : stdfs::directory_iterator(dir, ec)) {
        if (entry.is_regular_file(ec)) {
            files.emplace_back(entry.path(), entry.file_size(ec));
        }
    }
    std::sort(files.begin(), files.end()); // names start with a UTC time stamp: oldest first
    std::uintmax_t total = 0;
    for (const auto& f : files) {
        total += f.second;
    }
    // The newest file (the command just run) always stays, even when it alone is over budget.
    for (std::size_t i = 0; i + 1 < files.size() && total > budget; ++i) {
        if (stdfs::remove(files[i].first, ec)) {
            total -= files[i].second;
        }
    }
}

} // namespace

Result<std::vector<std::string>> resolveCommand(const stdfs::path& base,
                                                const std::string& command) {
    std::string cmd = command;
    while (!cmd.empty() && (cmd.front() == '/' || cmd.front() == ' ')) {
        cmd.erase(0, 1); // commands are relative to base: a leading '/' is stripped
    }
    if (cmd.empty()) {
        return makeError(1000, "empty command");
    }
    const std::string program = cmd.substr(0, cmd.find(' '));
    std::size_t start = 0;
    while (start <= program.size()) {
        const std::size_t slash = program.find_first_of("/\\", start);
        if (program.substr(start, slash == std::string::npos ? std::string::npos : slash - start) ==
            "..") {
            return makeError(1000, "command path leaves the handler directory: " + program);
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    return platform::handlerCommandArgv(base, cmd);
}

Result<CommandOutcome> runCommand(const CommandSpec& spec) {
    BOOST_OUTCOME_TRY(argv, resolveCommand(spec.base, spec.command));
    platform::ChildProcessSpec child;
    child.argv = std::move(argv);
    // The protocol's variables over the allow-listed part of the daemon's environment, with the
    // fixed safe PATH; nothing else of the daemon's (LD_*, its PATH) reaches a handler.
    child.environment = platform::childEnvironment(platform::processEnvironment(), spec.env);
    child.working_directory = spec.base;
    child.timeout = spec.timeout;
    child.output_limit = spec.output_limit;
    child.kept = platform::KeptOutput::kLast;
    child.ends = platform::RunEnds::kWhenProgramExits;
    child.new_session = true;
    // Before the command may run: into its cgroup, then into the journal.
    child.before_exec = [&spec](platform::ProcessId pid) -> Result<void> {
        if (spec.cpu_group != nullptr && spec.cpu_group->enforcement().enforced) {
            if (auto attached = spec.cpu_group->attach(pid); !attached) {
                spdlog::warn("EXT_CGROUP_ATTACH_FAILED command={} error={}", spec.label,
                             log::sanitize(attached.error().message));
            }
        }
        if (spec.on_started) {
            spec.on_started(pid);
        }
        return ok();
    };
    BOOST_OUTCOME_TRY(run, platform::runChildProcess(child));

    CommandOutcome outcome;
    outcome.timed_out = run.timed_out;
    if (!run.timed_out) {
        outcome.exit_code = run.exit_code;
        outcome.term_signal = run.term_signal;
    }
    const std::string& out_tail = run.output;
    const std::string& err_tail = run.error_output;
    std::string combined = out_tail + (err_tail.empty() ? "" : "\n[stderr]\n" + err_tail);
    outcome.output_tail = combined.size() > kMessageTailChars
                              ? combined.substr(combined.size() - kMessageTailChars)
                              : combined;
    if (!spec.output_dir.empty()) {
        std::ostringstream file;
        file << "command: " << spec.command << "\n";
        if (outcome.timed_out) {
            file << "result: killed at the timeout of " << spec.timeout.count() << " ms\n";
        } else if (outcome.term_signal != 0) {
            file << "result: signal " << outcome.term_signal << "\n";
        } else {
            file << "result: exit code " << outcome.exit_code << "\n";
        }
        file << "--- stdout (" << run.output_bytes << " bytes"
             << (run.output_bytes > spec.output_limit ? ", tail kept" : "") << ") ---\n"
             << out_tail << "\n--- stderr (" << run.error_output_bytes << " bytes"
             << (run.error_output_bytes > spec.output_limit ? ", tail kept" : "") << ") ---\n"
             << err_tail << "\n";
        if (fs::ensureDirectory(spec.output_dir, {0700, {}})) {
            outcome.output_file = spec.output_dir / (utcStamp() + "-" + spec.label + ".log");
            if (!fs::writeFileAtomic(outcome.output_file, file.str(), {0600, {}})) {
                outcome.output_file.clear();
            }
            enforceBudget(spec.output_dir, spec.output_dir_budget);
        }
    }
    return outcome;
}

} // namespace azcm::extservice
