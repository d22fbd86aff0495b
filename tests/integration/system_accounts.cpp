#include "system_accounts.hpp"

#include "process.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include <grp.h>
#include <pwd.h>

namespace azcm::test {

namespace {

// NOLINTBEGIN(concurrency-mt-unsafe): tests run on one thread
std::optional<gid_t> groupId(const std::string& name) {
    const group* found = ::getgrnam(name.c_str());
    return found != nullptr ? std::optional<gid_t>(found->gr_gid) : std::nullopt;
}

std::optional<passwd> userEntry(const std::string& name) {
    const passwd* found = ::getpwnam(name.c_str());
    return found != nullptr ? std::optional<passwd>(*found) : std::nullopt;
}
// NOLINTEND(concurrency-mt-unsafe)

void run(const std::vector<std::string>& argv) {
    auto result = runCommand(argv);
    if (result.exit_code != 0) {
        throw std::runtime_error(argv.front() + " failed (" + std::to_string(result.exit_code) +
                                 "): " + result.err);
    }
}

std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) {
        text += (text.empty() ? "" : ",") + name;
    }
    return text;
}

} // namespace

SystemAccounts::~SystemAccounts() {
    // Users first: a group cannot be removed while it is a user's primary group.
    for (auto it = created_users_.rbegin(); it != created_users_.rend(); ++it) {
        runCommand({"/usr/sbin/userdel", *it});
    }
    for (auto it = created_groups_.rbegin(); it != created_groups_.rend(); ++it) {
        runCommand({"/usr/sbin/groupdel", *it});
    }
}

gid_t SystemAccounts::ensureGroup(const std::string& name) {
    if (auto existing = groupId(name)) {
        return *existing;
    }
    run({"/usr/sbin/groupadd", "--system", name});
    created_groups_.push_back(name);
    auto created = groupId(name);
    if (!created) {
        throw std::runtime_error("group " + name + " missing after groupadd");
    }
    return *created;
}

uid_t SystemAccounts::ensureUser(const std::string& name,
                                 const std::vector<std::string>& supplementary_groups) {
    if (auto existing = userEntry(name)) {
        return existing->pw_uid;
    }
    std::vector<std::string> argv = {"/usr/sbin/useradd", "--system", "--no-create-home", "--shell",
                                     "/usr/sbin/nologin"};
    if (!supplementary_groups.empty()) {
        argv.emplace_back("--groups");
        argv.push_back(joined(supplementary_groups));
    }
    argv.push_back(name);
    run(argv);
    created_users_.push_back(name);
    auto created = userEntry(name);
    if (!created) {
        throw std::runtime_error("user " + name + " missing after useradd");
    }
    return created->pw_uid;
}

bool SystemAccounts::isMember(const std::string& user, gid_t group) {
    auto entry = userEntry(user);
    if (!entry) {
        return false;
    }
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(user.c_str(), entry->pw_gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        ::getgrouplist(user.c_str(), entry->pw_gid, groups.data(), &count);
    }
    groups.resize(static_cast<std::size_t>(count));
    return std::find(groups.begin(), groups.end(), group) != groups.end();
}

} // namespace azcm::test
