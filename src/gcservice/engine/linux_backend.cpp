// The real backend. Reads go straight to the system (NSS, /proc/sys) or through the read-only
// query tools (systemctl is-enabled, dpkg-query, rpm -q); changes go through the distribution's
// own tools so that their hooks and locks apply. Every tool is found in the fixed safe PATH and
// runs with the allow-listed environment (process_runner.hpp).
#include "common/platform/accounts.hpp"
#include "common/platform/kernel_settings.hpp"
#include "gcservice/engine/backend.hpp"
#include "gcservice/engine/process_runner.hpp"

#include <filesystem>
#include <system_error>

namespace azcm::gcservice {

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
    std::error_code ignored;
    return std::filesystem::exists(path, ignored);
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
        BOOST_OUTCOME_TRY(account, platform::findUserAccount(name));
        if (!account) {
            return std::optional<UserInfo>{};
        }
        UserInfo info;
        info.uid = account->uid;
        info.gid = account->gid;
        info.groups = std::move(account->group_names);
        return std::optional<UserInfo>{std::move(info)};
    }
    Result<std::optional<GroupInfo>> findGroup(const std::string& name) override {
        BOOST_OUTCOME_TRY(account, platform::findGroupAccount(name));
        if (!account) {
            return std::optional<GroupInfo>{};
        }
        GroupInfo info;
        info.gid = account->gid;
        info.members = std::move(account->members);
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
        return platform::readKernelSetting(key);
    }
    Result<void> writeSysctl(const std::string& key, const std::string& value) override {
        return platform::writeKernelSetting(key, value);
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

} // namespace azcm::gcservice
