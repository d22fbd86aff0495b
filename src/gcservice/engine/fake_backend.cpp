#include "gcservice/engine/fake_backend.hpp"

#include <algorithm>

namespace azcm::gcservice {

FakeBackend::FakeBackend() {
    users["root"] = UserInfo{0, 0, {"root"}};
    groups["root"] = GroupInfo{0, {}};
}

Result<void> FakeBackend::mutate() {
    if (!fail_changes_with.empty()) {
        return makeError(exitcode::kGeneric, fail_changes_with);
    }
    ++changes;
    return ok();
}

Result<ServiceState> FakeBackend::serviceState(const std::string& unit) {
    auto it = services.find(unit);
    return it == services.end() ? ServiceState{} : it->second;
}

Result<void> FakeBackend::setServiceEnabled(const std::string& unit, bool enabled) {
    BOOST_OUTCOME_TRY(mutate());
    services[unit].exists = true;
    services[unit].enabled = enabled;
    return ok();
}

Result<void> FakeBackend::setServiceActive(const std::string& unit, bool active) {
    BOOST_OUTCOME_TRY(mutate());
    services[unit].exists = true;
    services[unit].active = active;
    return ok();
}

Result<bool> FakeBackend::packageInstalled(PackageManager /*manager*/, const std::string& name) {
    auto it = packages.find(name);
    return it != packages.end() && it->second;
}

Result<void> FakeBackend::installPackage(PackageManager /*manager*/, const std::string& name) {
    BOOST_OUTCOME_TRY(mutate());
    packages[name] = true;
    return ok();
}

Result<void> FakeBackend::removePackage(PackageManager /*manager*/, const std::string& name) {
    BOOST_OUTCOME_TRY(mutate());
    packages[name] = false;
    return ok();
}

Result<std::optional<UserInfo>> FakeBackend::findUser(const std::string& name) {
    auto it = users.find(name);
    if (it == users.end()) {
        return std::optional<UserInfo>{};
    }
    return std::optional<UserInfo>{it->second};
}

Result<std::optional<GroupInfo>> FakeBackend::findGroup(const std::string& name) {
    auto it = groups.find(name);
    if (it == groups.end()) {
        return std::optional<GroupInfo>{};
    }
    return std::optional<GroupInfo>{it->second};
}

Result<void> FakeBackend::createUser(const std::string& name) {
    BOOST_OUTCOME_TRY(mutate());
    unsigned id = next_id_++;
    users[name] = UserInfo{id, id, {name}};
    groups[name] = GroupInfo{id, {}};
    return ok();
}

Result<void> FakeBackend::deleteUser(const std::string& name) {
    BOOST_OUTCOME_TRY(mutate());
    users.erase(name);
    return ok();
}

Result<void> FakeBackend::createGroup(const std::string& name) {
    BOOST_OUTCOME_TRY(mutate());
    groups[name] = GroupInfo{next_id_++, {}};
    return ok();
}

Result<void> FakeBackend::deleteGroup(const std::string& name) {
    BOOST_OUTCOME_TRY(mutate());
    groups.erase(name);
    return ok();
}

Result<void> FakeBackend::addGroupMember(const std::string& group, const std::string& user) {
    if (groups.count(group) == 0 || users.count(user) == 0) {
        return makeError(exitcode::kGeneric, "no such group or user");
    }
    BOOST_OUTCOME_TRY(mutate());
    groups[group].members.push_back(user);
    users[user].groups.push_back(group);
    return ok();
}

Result<void> FakeBackend::removeGroupMember(const std::string& group, const std::string& user) {
    BOOST_OUTCOME_TRY(mutate());
    auto& members = groups[group].members;
    members.erase(std::remove(members.begin(), members.end(), user), members.end());
    auto& user_groups = users[user].groups;
    user_groups.erase(std::remove(user_groups.begin(), user_groups.end(), group),
                      user_groups.end());
    return ok();
}

Result<std::string> FakeBackend::readSysctl(const std::string& key) {
    auto it = sysctls.find(key);
    if (it == sysctls.end()) {
        return makeError(exitcode::kGeneric, "sysctl " + key + ": No such file or directory");
    }
    return it->second;
}

Result<void> FakeBackend::writeSysctl(const std::string& key, const std::string& value) {
    BOOST_OUTCOME_TRY(mutate());
    sysctls[key] = value;
    return ok();
}

Result<CommandOutcome> FakeBackend::runCommand(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds /*timeout*/) {
    if (!on_command) {
        return CommandOutcome{127, false, "no command handler"};
    }
    return on_command(argv);
}

} // namespace azcm::gcservice
