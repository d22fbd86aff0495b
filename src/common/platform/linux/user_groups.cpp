#include "common/platform/user_groups.hpp"

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

constexpr std::size_t kFirstBufferBytes = 4096;
constexpr std::size_t kMaxBufferBytes = std::size_t{1024} * 1024;
constexpr int kFirstGroupCount = 32;
constexpr int kMaxGroupCount = 65536;

} // namespace

bool accountHasGroup(std::uint32_t uid, std::uint32_t gid) {
    std::vector<char> buffer(kFirstBufferBytes);
    passwd entry{};
    passwd* found = nullptr;
    for (;;) {
        const int rc = ::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found);
        if (rc == ERANGE && buffer.size() < kMaxBufferBytes) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (rc != 0 || found == nullptr) {
            return false;
        }
        break;
    }
    if (entry.pw_gid == gid) {
        return true;
    }
    std::vector<gid_t> groups(kFirstGroupCount);
    for (;;) {
        int count = static_cast<int>(groups.size());
        if (::getgrouplist(entry.pw_name, entry.pw_gid, groups.data(), &count) >= 0) {
            groups.resize(static_cast<std::size_t>(count));
            return std::find(groups.begin(), groups.end(), gid) != groups.end();
        }
        // -1: the list did not fit; `count` now says how many there are.
        if (count <= static_cast<int>(groups.size()) || count > kMaxGroupCount) {
            return false;
        }
        groups.resize(static_cast<std::size_t>(count));
    }
}

} // namespace azcm::platform
