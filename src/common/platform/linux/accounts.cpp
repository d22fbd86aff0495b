#include "common/platform/accounts.hpp"

#include "common/platform/system_error_text.hpp"

#include <cerrno>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

// getpw*_r need a buffer; 16 KB holds any ordinary entry, and a bigger one is retried.
constexpr std::size_t kPasswdBuffer = 16384;
constexpr std::size_t kPasswdBufferLimit = std::size_t{1024} * 1024;

template <class Lookup> passwd* findUser(passwd& entry, std::vector<char>& buffer, Lookup lookup) {
    for (buffer.resize(kPasswdBuffer); buffer.size() <= kPasswdBufferLimit;
         buffer.resize(buffer.size() * 2)) {
        passwd* found = nullptr;
        const int error_number = lookup(&entry, buffer.data(), buffer.size(), &found);
        if (error_number != ERANGE) {
            return error_number == 0 ? found : nullptr;
        }
    }
    return nullptr;
}

} // namespace

std::optional<GroupId> groupId(const std::string& name) {
    auto found = findGroupAccount(name);
    if (!found || !found.value()) {
        return std::nullopt;
    }
    return found.value()->gid;
}

std::optional<std::uint32_t> userId(const std::string& name) {
    passwd entry{};
    std::vector<char> buffer;
    const passwd* found =
        findUser(entry, buffer, [&](passwd* out, char* data, std::size_t size, passwd** result) {
            return ::getpwnam_r(name.c_str(), out, data, size, result);
        });
    if (found == nullptr) {
        return std::nullopt;
    }
    return found->pw_uid;
}

std::string userName(std::uint32_t uid) {
    passwd entry{};
    std::vector<char> buffer;
    const passwd* found =
        findUser(entry, buffer, [&](passwd* out, char* data, std::size_t size, passwd** result) {
            return ::getpwuid_r(uid, out, data, size, result);
        });
    if (found == nullptr || found->pw_name == nullptr) {
        return "uid " + std::to_string(uid);
    }
    return found->pw_name;
}

Result<std::optional<UserAccount>> findUserAccount(const std::string& name) {
    passwd entry{};
    std::vector<char> buffer;
    int error_number = 0;
    const passwd* found =
        findUser(entry, buffer, [&](passwd* out, char* data, std::size_t size, passwd** result) {
            error_number = ::getpwnam_r(name.c_str(), out, data, size, result);
            return error_number;
        });
    if (found == nullptr) {
        if (error_number != 0) {
            return makeError(exitcode::kGeneric,
                             "getpwnam " + name + ": " + systemErrorText(error_number));
        }
        return std::optional<UserAccount>{};
    }
    UserAccount account;
    account.uid = found->pw_uid;
    account.gid = found->pw_gid;
    int count = 64;
    std::vector<gid_t> gids(static_cast<std::size_t>(count));
    if (::getgrouplist(name.c_str(), found->pw_gid, gids.data(), &count) < 0) {
        gids.resize(static_cast<std::size_t>(count)); // the call said how many there are
        ::getgrouplist(name.c_str(), found->pw_gid, gids.data(), &count);
    }
    gids.resize(static_cast<std::size_t>(count));
    for (const gid_t gid : gids) {
        group group_entry{};
        group* group_found = nullptr;
        std::vector<char> group_buffer(kPasswdBuffer);
        if (::getgrgid_r(gid, &group_entry, group_buffer.data(), group_buffer.size(),
                         &group_found) == 0 &&
            group_found != nullptr) {
            account.group_names.emplace_back(group_found->gr_name);
        }
    }
    return std::optional<UserAccount>{std::move(account)};
}

Result<std::optional<GroupAccount>> findGroupAccount(const std::string& name) {
    group entry{};
    std::vector<char> buffer;
    for (buffer.resize(kPasswdBuffer); buffer.size() <= kPasswdBufferLimit;
         buffer.resize(buffer.size() * 2)) {
        group* found = nullptr;
        const int error_number =
            ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (error_number == ERANGE) {
            continue; // a group with many members: a bigger buffer
        }
        if (error_number != 0) {
            return makeError(exitcode::kGeneric,
                             "getgrnam " + name + ": " + systemErrorText(error_number));
        }
        if (found == nullptr) {
            return std::optional<GroupAccount>{};
        }
        GroupAccount account;
        account.gid = found->gr_gid;
        for (char** member = found->gr_mem; member != nullptr && *member != nullptr; ++member) {
            account.members.emplace_back(*member);
        }
        return std::optional<GroupAccount>{std::move(account)};
    }
    return makeError(exitcode::kGeneric, "getgrnam " + name + ": the entry is too large");
}

} // namespace azcm::platform
