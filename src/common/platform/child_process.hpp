#pragma once
// Starting a child process the one way the agent does: an argument vector (no shell unless the
// caller names one), a complete environment the caller built from the allow-list
// (platform/child_environment.hpp), stdin from the null device, the child in a process group of
// its own so a timeout kills everything it started, and a bounded capture of what it writes.
#include "common/error.hpp"
#include "common/platform/child_environment.hpp"
#include "common/platform/os_types.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace azcm::platform {

// Which bytes of a stream past its limit are kept: the first (a command's own diagnosis comes
// early) or the last (a long-running handler's failure comes at the end).
enum class KeptOutput { kFirst, kLast };

// When a run is over. kWhenOutputCloses: once every writer closed its end of the output, so the
// grandchildren of a tool are waited for. kWhenProgramExits: once the program itself exited; a
// handler's enable command may leave a daemon running that holds the output open for days, and
// what it wrote until then is kept.
enum class RunEnds { kWhenOutputCloses, kWhenProgramExits };

struct ChildProcessSpec {
    // argv[0] is the program: an absolute path, or a bare name resolveProgram finds in kSafePath.
    std::vector<std::string> argv;
    // The child's whole environment; nothing of this process's passes unless it is in here.
    EnvironmentMap environment;
    // Empty: this process's working directory.
    std::filesystem::path working_directory;
    std::chrono::milliseconds timeout{std::chrono::seconds(300)};
    // Bytes kept of each stream (or of both, when merged), and which of them.
    std::size_t output_limit = std::size_t{8} * 1024;
    KeptOutput kept = KeptOutput::kLast;
    // stderr into the same capture as stdout, interleaved as written.
    bool merge_stderr = false;
    // With KeptOutput::kFirst: once a capture is full the group is killed (a tool that would
    // write without end is not waited for until the deadline).
    bool stop_when_full = false;
    RunEnds ends = RunEnds::kWhenOutputCloses;
    // The child leads a session of its own (no controlling terminal), as the extension handler
    // protocol starts handlers, rather than only a process group. Either way its pid names the
    // group a timeout kills.
    bool new_session = false;
    // Called once the child exists, in its own process group, before it executes the program (a
    // cgroup placement, a journal of the group): an error here kills the child unstarted and is
    // the launch's error. The argument is the child's pid, which is also its process group.
    std::function<Result<void>(ProcessId pid)> before_exec;
};

struct ChildProcessResult {
    bool timed_out = false; // the group was killed at the deadline
    int exit_code = -1;     // when it exited normally
    int term_signal = 0;    // when a signal ended it
    std::string output;     // stdout (and stderr when merged), bounded as the spec says
    std::string error_output;
    bool output_truncated = false; // some bytes of either stream were dropped
    std::size_t output_bytes = 0;  // all the first capture's stream carried, kept or not
    std::size_t error_output_bytes = 0;
};

// Runs the child to its end or its deadline. Fails (nothing left running) when the program
// cannot be found or executed, or the working directory cannot be entered: the message names
// which.
Result<ChildProcessResult> runChildProcess(const ChildProcessSpec& spec);

} // namespace azcm::platform
