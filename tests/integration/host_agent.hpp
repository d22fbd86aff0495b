#pragma once
// The agent on the host's real paths (/var/opt/azcmagent, IMDS port 40342), for the root-only tests
// that a sandbox cannot stand in for: the SDKs accept key files only under
// /var/opt/azcmagent/tokens/, and the token group is the system group `himds`.
#include "process.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::test {

inline constexpr std::uint16_t kDefaultImdsPort = 40342;

// `argv` run through env(1) with every sandbox variable removed, so neither an AZCM_ROOT nor an
// IMDS knob inherited from the test's environment can redirect the process away from the host.
std::vector<std::string> withoutSandboxEnvironment(const std::vector<std::string>& argv);

// Claims the host for one test. The constructor throws std::runtime_error, naming the reason, when
// the caller is not root or the host already has an agent (an agentconfig.json, a himds answering
// on its socket or anything listening on port 40342): the test must never touch a real agent. The
// destructor removes everything that appeared under /var/opt/azcmagent since the constructor and
// cuts files that were there back to their old size (what the test appended to a log).
class HostAgentGuard {
public:
    HostAgentGuard();
    ~HostAgentGuard();
    HostAgentGuard(const HostAgentGuard&) = delete;
    HostAgentGuard& operator=(const HostAgentGuard&) = delete;
    HostAgentGuard(HostAgentGuard&&) = delete;
    HostAgentGuard& operator=(HostAgentGuard&&) = delete;

private:
    bool data_dir_existed_ = false;
    bool data_dir_parent_existed_ = false;
    std::set<std::filesystem::path> existing_entries_;
    std::map<std::filesystem::path, std::uintmax_t> existing_file_sizes_;
};

// himds started on the host's paths and default IMDS port, as its service unit would start it.
class HostHimds {
public:
    // Starts himds and waits until its control socket answers; `output` receives its stdout/err.
    explicit HostHimds(std::filesystem::path output);
    ~HostHimds();
    HostHimds(const HostHimds&) = delete;
    HostHimds& operator=(const HostHimds&) = delete;
    HostHimds(HostHimds&&) = delete;
    HostHimds& operator=(HostHimds&&) = delete;

    nlohmann::json status() const;
    pid_t pid() const { return process_.pid(); }
    // The environment the running himds actually has (from /proc), for checking what it saw.
    std::vector<std::string> environment() const;
    std::string output() const;
    int stop();

private:
    DaemonProcess process_;
    std::filesystem::path output_;
};

// azcmagent run on the host's paths (no AZCM_ROOT), as root.
CommandResult hostAzcmagent(const std::vector<std::string>& args);

} // namespace azcm::test
