#pragma once
// Runs one handler command the way the protocol does: `/bin/sh -c <base>/<cmd>` with the handler
// directory as working directory, in a new session, its cgroup joined before it runs, output
// captured and bounded, SIGKILL to the whole process group at the timeout. The command is over
// when the shell exits: a daemon it leaves running keeps running (platform/child_process.hpp).
//
// Environment: the protocol's variables (CommandSpec::env), the allow-listed variables of the
// daemon's own environment (platform/child_environment.hpp: the IMDS endpoints, proxies, locale)
// and the fixed safe PATH; nothing else of the daemon's. WALinuxAgent passes its whole
// environment; a daemon's LD_* or a PATH with a writable directory would run code as root in
// every handler.
//
// Why a shell: manifest commands are command LINES ("sample.py -enable", "bin/run.sh --x"), and
// handlers written for WALinuxAgent rely on the shell splitting them (and on shebangs relative to
// the working directory, like the sample handler's "#!./python.sh"). The command is root's own
// package content verified before extraction, so the shell adds no privilege; what it must not
// do is leave the handler directory, hence the ".." check on the program path.
//
// Why pipes, not files in base as WALinuxAgent does: the daemon keeps only a bounded tail of each
// stream while the command runs, so a chatty handler cannot fill the disk; the tail is written to
// <logFolder>/commands/<UTC time>-<command>.log (0600), and the oldest of those files are deleted
// to keep that directory within its budget.
#include "common/error.hpp"
#include "common/platform/cpu_limit.hpp"
#include "common/platform/os_types.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace azcm::extservice {

struct CommandSpec {
    std::string label;                      // "install", "enable", ... (file names, messages)
    std::filesystem::path base;             // working directory and the root of the command path
    std::string command;                    // as the manifest says: "bin/run.sh -enable"
    std::map<std::string, std::string> env; // the handler protocol's variables
    std::chrono::milliseconds timeout{std::chrono::seconds(300)};
    platform::CpuGroup* cpu_group = nullptr; // joined before the command runs; may be null
    std::size_t output_limit = 1 << 20;      // bytes kept per stream (the tail)
    std::filesystem::path output_dir;        // where the captured output file goes
    std::size_t output_dir_budget = 8 << 20; // total size of output_dir after the write
    // Called once the child exists (and sits in its cgroup) but before it may run: the journal
    // records the process group so a restarted daemon can kill it.
    std::function<void(platform::ProcessId group)> on_started;
};

struct CommandOutcome {
    bool timed_out = false;
    int exit_code = -1;                // when it exited normally
    int term_signal = 0;               // when a signal ended it
    std::string output_tail;           // last bytes of stdout+stderr, for messages (<= 3200)
    std::filesystem::path output_file; // the full (bounded) capture
};

// The argument vector of a manifest's command: strips a leading '/', refuses empty commands and
// any ".." component in the program path, then the platform's way to run a command line
// (platform/command_interpreter.hpp: /bin/sh -c on Linux). Pure; unit-tested.
Result<std::vector<std::string>> resolveCommand(const std::filesystem::path& base,
                                                const std::string& command);

// Fails only when the command cannot be started at all.
Result<CommandOutcome> runCommand(const CommandSpec& spec);

} // namespace azcm::extservice
