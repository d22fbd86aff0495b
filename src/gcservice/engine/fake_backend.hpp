#pragma once
// An in-memory Backend for tests: services, packages, users, groups and sysctls are plain maps
// the test fills and inspects; `changes` counts every mutating call, so a test can prove that an
// Audit evaluation changed nothing. Commands go to `on_command` (default: exit 127).
#include "gcservice/engine/backend.hpp"

#include <functional>
#include <map>

namespace azcm::gcservice {

class FakeBackend final : public Backend {
public:
    std::map<std::string, ServiceState> services;
    std::map<std::string, bool> packages; // name -> installed
    std::map<std::string, UserInfo> users;
    std::map<std::string, GroupInfo> groups;
    std::map<std::string, std::string> sysctls;
    std::function<CommandOutcome(const std::vector<std::string>&)> on_command;
    int changes = 0;
    std::string fail_changes_with; // non-empty: every mutating call fails with this message

    FakeBackend(); // knows user and group "root" (id 0), like every Linux system

    Result<ServiceState> serviceState(const std::string& unit) override;
    Result<void> setServiceEnabled(const std::string& unit, bool enabled) override;
    Result<void> setServiceActive(const std::string& unit, bool active) override;
    Result<bool> packageInstalled(PackageManager manager, const std::string& name) override;
    Result<void> installPackage(PackageManager manager, const std::string& name) override;
    Result<void> removePackage(PackageManager manager, const std::string& name) override;
    Result<std::optional<UserInfo>> findUser(const std::string& name) override;
    Result<std::optional<GroupInfo>> findGroup(const std::string& name) override;
    Result<void> createUser(const std::string& name) override;
    Result<void> deleteUser(const std::string& name) override;
    Result<void> createGroup(const std::string& name) override;
    Result<void> deleteGroup(const std::string& name) override;
    Result<void> addGroupMember(const std::string& group, const std::string& user) override;
    Result<void> removeGroupMember(const std::string& group, const std::string& user) override;
    Result<std::string> readSysctl(const std::string& key) override;
    Result<void> writeSysctl(const std::string& key, const std::string& value) override;
    Result<CommandOutcome> runCommand(const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout) override;

private:
    Result<void> mutate();
    unsigned next_id_ = 1000;
};

} // namespace azcm::gcservice
