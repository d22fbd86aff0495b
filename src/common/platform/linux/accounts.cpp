#include "platform/accounts.hpp"

#include <cerrno>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

// getpw*_r need a buffer; 16 KB holds any ordinary entry, and a bigger one is retried.
constexpr std::size_t kPasswdBuffer = 16384;
constexpr std::size_t kPasswdBufferLimit = 1024 * 1024;

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
    group entry{};
    std::vector<char> buffer;
    for (buffer.resize(kPasswdBuffer); buffer.size() <= kPasswdBufferLimit;
         buffer.resize(buffer.size() * 2)) {
        group* found = nullptr;
        const int error_number =
            ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (error_number != ERANGE) {
            if (error_number != 0 || found == nullptr) {
                return std::nullopt;
            }
            return found->gr_gid;
        }
    }
    return std::nullopt;
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

std::optional<std::uint32_t> socketPeerUserId(int descriptor) {
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    if (::getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 ||
        length != sizeof(credentials)) {
        return std::nullopt;
    }
    return credentials.uid;
}

} // namespace azcm::platform
