#pragma once
// Local groups and users a root-only test needs on the host (useradd/groupadd). Accounts that
// already exist are used as they are; those this object created are removed again when it goes.
#include <string>
#include <vector>

#include <sys/types.h>

namespace azcm::test {

class SystemAccounts {
public:
    SystemAccounts() = default;
    ~SystemAccounts();
    SystemAccounts(const SystemAccounts&) = delete;
    SystemAccounts& operator=(const SystemAccounts&) = delete;
    SystemAccounts(SystemAccounts&&) = delete;
    SystemAccounts& operator=(SystemAccounts&&) = delete;

    // The gid of system group `name`, created first when absent. Throws std::runtime_error.
    gid_t ensureGroup(const std::string& name);
    // The uid of system user `name` (no home directory), created first when absent with
    // `supplementary_groups`. An existing user is not changed. Throws std::runtime_error.
    uid_t ensureUser(const std::string& name, const std::vector<std::string>& supplementary_groups);

    // Whether `user` gets `group` (primary or supplementary) when it logs in.
    static bool isMember(const std::string& user, gid_t group);

private:
    std::vector<std::string> created_users_;
    std::vector<std::string> created_groups_;
};

} // namespace azcm::test
