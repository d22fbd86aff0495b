#pragma once
// Runs the shipped binaries as real child processes (DaemonProcess).
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace azcm::test {

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

struct SpawnOptions {
    std::map<std::string, std::string> env;  // added to (and overriding) the parent environment
    std::optional<uid_t> as_uid;             // drop to this uid (and its gid) before exec
    std::vector<gid_t> supplementary_groups; // with as_uid: the child's only supplementary groups
    std::string stdout_file;                 // daemons: where stdout/stderr go (empty: /dev/null)
};

// Runs to completion and captures stdout and stderr; kills the child after `timeout`.
CommandResult runCommand(const std::vector<std::string>& argv,
                         const SpawnOptions& options = {},
                         std::chrono::seconds timeout = std::chrono::seconds(120));

// A long-running child. The destructor kills it if it is still running.
class DaemonProcess {
public:
    DaemonProcess() = default;
    ~DaemonProcess();
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;
    DaemonProcess(DaemonProcess&&) = delete;
    DaemonProcess& operator=(DaemonProcess&&) = delete;

    void start(const std::vector<std::string>& argv, const SpawnOptions& options = {});
    bool running();
    // SIGTERM, then wait up to `deadline`; returns the exit code (or 128+signal, -1 if it hung
    // and had to be killed).
    int stop(std::chrono::seconds deadline = std::chrono::seconds(15));
    pid_t pid() const { return pid_; }
    std::optional<int> exitCode() const { return exit_code_; }

private:
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes.
bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Directory holding the binaries under test (AZCM_BIN_DIR, set by CTest).
std::string binDir();

} // namespace azcm::test
