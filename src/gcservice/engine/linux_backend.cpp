// The real backend. Reads go straight to the system (NSS, /proc/sys) or through the read-only
// query tools (systemctl is-enabled, dpkg-query, rpm -q); changes go through the distribution's
// own tools so that their hooks and locks apply. Every tool is found in the fixed safe PATH and
// runs with the allow-listed environment (process_runner.hpp).
#include "backend.hpp"
#include "process_runner.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace azcm::gc {

namespace {

constexpr std::chrono::minutes kToolTimeout{10}; // package installs can be slow
constexpr std::chrono::seconds kQueryTimeout{30};

// apt-get must never wait for an answer on a terminal it does not have.
const platform::EnvironmentMap kNonInteractiveApt = {{"DEBIAN_FRONTEND", "noninteractive"}};

std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

Result<CommandOutcome> query(const std::vector<std::string>& argv) {
    BOOST_OUTCOME_TRY(outcome, runProcess(argv, kQueryTimeout));
    if (outcome.timed_out) {
        return makeError(exitcode::kGeneric, argv.front() + " timed out");
    }
    return outcome;
}

Result<void> change(const std::vector<std::string>& argv,
                    const platform::EnvironmentMap& extra_env = {}) {
    BOOST_OUTCOME_TRY(outcome, runProcess(argv, kToolTimeout, extra_env));
    if (outcome.timed_out || outcome.exit_code != 0) {
        std::string command;
        for (const auto& arg : argv) {
            command += (command.empty() ? "" : " ") + arg;
        }
        return makeError(exitcode::kGeneric,
                         command +
                             (outcome.timed_out ? " timed out"
                                                : " exited " + std::to_string(outcome.exit_code)) +
                             ": " + trim(outcome.output));
    }
    return ok();
}

bool exists(const char* path) {
    return ::access(path, X_OK) == 0;
}

PackageManager detect(PackageManager manager) {
    if (manager != PackageManager::kAuto) {
        return manager;
    }
    return exists("/usr/bin/dpkg-query") ? PackageManager::kDpkg : PackageManager::kRpm;
}

std::string rpmInstaller() {
    return exists("/usr/bin/dnf") ? "dnf" : (exists("/usr/bin/yum") ? "yum" : "zypper");
}

std::filesystem::path sysctlPath(const std::string& key) {
    std::string relative = key;
    for (char& c : relative) {
        c = c == '.' ? '/' : c;
    }
    return std::filesystem::path("/proc/sys") / relative;
}

class LinuxBackend final : public Backend {
public:
    Result<ServiceState> serviceState(const std::string& unit) override {
        ServiceState state;
        BOOST_OUTCOME_TRY(
            load, query({"systemctl", "show", "--property=LoadState", "--value", "--", unit}));
        state.exists = trim(load.output) == "loaded";
        if (!state.exists) {
            return state;
        }
        BOOST_OUTCOME_TRY(enabled, query({"systemctl", "is-enabled", "--quiet", "--", unit}));
        state.enabled = enabled.exit_code == 0;
        BOOST_OUTCOME_TRY(active, query({"systemctl", "is-active", "--quiet", "--", unit}));
        state.active = active.exit_code == 0;
        return state;
    }
    Result<void> setServiceEnabled(const std::string& unit, bool enabled) override {
        return change({"systemctl", enabled ? "enable" : "disable", "--", unit});
    }
    Result<void> setServiceActive(const std::string& unit, bool active) override {
        return change({"systemctl", active ? "start" : "stop", "--", unit});
    }

    Result<bool> packageInstalled(PackageManager manager, const std::string& name) override {
        if (detect(manager) == PackageManager::kDpkg) {
            BOOST_OUTCOME_TRY(outcome, query({"dpkg-query", "-W", "-f=${Status}", "--", name}));
            return outcome.exit_code == 0 && trim(outcome.output) == "install ok installed";
        }
        BOOST_OUTCOME_TRY(outcome, query({"rpm", "-q", "--quiet", "--", name}));
        return outcome.exit_code == 0;
    }
    Result<void> installPackage(PackageManager manager, const std::string& name) override {
        if (detect(manager) == PackageManager::kDpkg) {
            return change({"apt-get", "install", "-y", "--", name}, kNonInteractiveApt);
        }
        return change({rpmInstaller(), "install", "-y", name});
    }
    Result<void> removePackage(PackageManager manager, const std::string& name) override {
        if (detect(manager) == PackageManager::kDpkg) {
            return change({"apt-get", "remove", "-y", "--", name}, kNonInteractiveApt);
        }
        return change({rpmInstaller(), "remove", "-y", name});
    }

    Result<std::optional<UserInfo>> findUser(const std::string& name) override {
        std::vector<char> buffer(16384);
        passwd pw{};
        passwd* found = nullptr;
        int rc = ::getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found);
        if (rc != 0) {
            return makeError(exitcode::kGeneric, "getpwnam " + name + ": " + std::strerror(rc));
        }
        if (found == nullptr) {
            return std::optional<UserInfo>{};
        }
        UserInfo info;
        info.uid = pw.pw_uid;
        info.gid = pw.pw_gid;
        int count = 64;
        std::vector<gid_t> gids(static_cast<size_t>(count));
        if (::getgrouplist(name.c_str(), pw.pw_gid, gids.data(), &count) < 0) {
            gids.resize(static_cast<size_t>(count));
            ::getgrouplist(name.c_str(), pw.pw_gid, gids.data(), &count);
        }
        gids.resize(static_cast<size_t>(count));
        for (gid_t gid : gids) {
            group gr{};
            group* gfound = nullptr;
            if (::getgrgid_r(gid, &gr, buffer.data(), buffer.size(), &gfound) == 0 && gfound) {
                info.groups.emplace_back(gr.gr_name);
            }
        }
        return std::optional<UserInfo>{std::move(info)};
    }
    Result<std::optional<GroupInfo>> findGroup(const std::string& name) override {
        std::vector<char> buffer(65536);
        group gr{};
        group* found = nullptr;
        int rc = ::getgrnam_r(name.c_str(), &gr, buffer.data(), buffer.size(), &found);
        if (rc != 0) {
            return makeError(exitcode::kGeneric, "getgrnam " + name + ": " + std::strerror(rc));
        }
        if (found == nullptr) {
            return std::optional<GroupInfo>{};
        }
        GroupInfo info;
        info.gid = gr.gr_gid;
        for (char** member = gr.gr_mem; member != nullptr && *member != nullptr; ++member) {
            info.members.emplace_back(*member);
        }
        return std::optional<GroupInfo>{std::move(info)};
    }
    Result<void> createUser(const std::string& name) override {
        return change({"useradd", "--", name});
    }
    Result<void> deleteUser(const std::string& name) override {
        return change({"userdel", "--", name});
    }
    Result<void> createGroup(const std::string& name) override {
        return change({"groupadd", "--", name});
    }
    Result<void> deleteGroup(const std::string& name) override {
        return change({"groupdel", "--", name});
    }
    Result<void> addGroupMember(const std::string& group, const std::string& user) override {
        return change({"gpasswd", "-a", user, group});
    }
    Result<void> removeGroupMember(const std::string& group, const std::string& user) override {
        return change({"gpasswd", "-d", user, group});
    }

    Result<std::string> readSysctl(const std::string& key) override {
        auto path = sysctlPath(key);
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            return makeError(exitcode::kGeneric, "sysctl " + key + ": " + std::strerror(errno));
        }
        std::string value;
        char buffer[4096];
        ssize_t n = 0;
        while ((n = ::read(fd, buffer, sizeof buffer)) > 0 && value.size() < 65536) {
            value.append(buffer, static_cast<size_t>(n));
        }
        int read_errno = errno;
        ::close(fd);
        if (n < 0) {
            return makeError(exitcode::kGeneric,
                             "sysctl " + key + ": " + std::strerror(read_errno));
        }
        return trim(value);
    }
    Result<void> writeSysctl(const std::string& key, const std::string& value) override {
        auto path = sysctlPath(key);
        int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            return makeError(exitcode::kGeneric, "sysctl " + key + ": " + std::strerror(errno));
        }
        ssize_t n = ::write(fd, value.data(), value.size());
        int write_errno = errno;
        ::close(fd);
        if (n != static_cast<ssize_t>(value.size())) {
            return makeError(exitcode::kGeneric,
                             "sysctl " + key + " = " + value + ": " + std::strerror(write_errno));
        }
        return ok();
    }

    Result<CommandOutcome> runCommand(const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout) override {
        return runProcess(argv, timeout);
    }
};

} // namespace

std::unique_ptr<Backend> makeLinuxBackend() {
    return std::make_unique<LinuxBackend>();
}

} // namespace azcm::gc
