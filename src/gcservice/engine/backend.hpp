#pragma once
// What the engine touches outside files: systemd, the package database, local
// users and groups, sysctl and child processes, behind one small interface so that the resource
// types can be tested against an in-memory fake (fake_backend.hpp) and never change the host in a
// test. File-based resource types do not go through the backend: they work on real files under
// Paths::root(), which a sandbox relocates.
#include "common/error.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace azcm::gcservice {

struct ServiceState {
    bool exists = false; // a unit file is known to systemd
    bool enabled = false;
    bool active = false;
};

enum class PackageManager { kAuto, kDpkg, kRpm };

struct UserInfo {
    unsigned uid = 0;
    unsigned gid = 0;                // primary group
    std::vector<std::string> groups; // supplementary groups, by name
};

struct GroupInfo {
    unsigned gid = 0;
    std::vector<std::string> members; // supplementary members, by user name
};

struct CommandOutcome {
    int exit_code = -1; // -1 when killed by a signal or timed out
    bool timed_out = false;
    std::string output; // stdout and stderr, truncated to a few KiB
};

class Backend {
public:
    Backend() = default;
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;
    Backend(Backend&&) = delete;
    Backend& operator=(Backend&&) = delete;
    virtual ~Backend() = default;

    // systemd
    virtual Result<ServiceState> serviceState(const std::string& unit) = 0;
    virtual Result<void> setServiceEnabled(const std::string& unit, bool enabled) = 0;
    virtual Result<void> setServiceActive(const std::string& unit, bool active) = 0;

    // package database (dpkg or rpm)
    virtual Result<bool> packageInstalled(PackageManager manager, const std::string& name) = 0;
    virtual Result<void> installPackage(PackageManager manager, const std::string& name) = 0;
    virtual Result<void> removePackage(PackageManager manager, const std::string& name) = 0;

    // local users and groups
    virtual Result<std::optional<UserInfo>> findUser(const std::string& name) = 0;
    virtual Result<std::optional<GroupInfo>> findGroup(const std::string& name) = 0;
    virtual Result<void> createUser(const std::string& name) = 0;
    virtual Result<void> deleteUser(const std::string& name) = 0;
    virtual Result<void> createGroup(const std::string& name) = 0;
    virtual Result<void> deleteGroup(const std::string& name) = 0;
    virtual Result<void> addGroupMember(const std::string& group, const std::string& user) = 0;
    virtual Result<void> removeGroupMember(const std::string& group, const std::string& user) = 0;

    // sysctl, by dotted key ("net.ipv4.ip_forward"); values as the kernel prints them
    virtual Result<std::string> readSysctl(const std::string& key) = 0;
    virtual Result<void> writeSysctl(const std::string& key, const std::string& value) = 0;

    // Runs argv[0] (an absolute path, or a name looked up in the fixed safe PATH, never the
    // daemon's) without a shell, with the allow-listed environment.
    virtual Result<CommandOutcome> runCommand(const std::vector<std::string>& argv,
                                              std::chrono::milliseconds timeout) = 0;
};

// The real Linux backend: systemctl, dpkg-query/dpkg/apt-get or rpm/dnf/yum, getpwnam/getgrnam with
// useradd/userdel/groupadd/groupdel/gpasswd, /proc/sys, fork+exec with a timeout.
std::unique_ptr<Backend> makeLinuxBackend();

} // namespace azcm::gcservice
