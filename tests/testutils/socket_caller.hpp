#pragma once
// Requests over a daemon's control socket made by another user, to test the access rules of
// docs/architecture.md (ipc/control_access.hpp) with the kernel's own peer credentials.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace azcm::test {

struct SocketCaller {
    std::optional<uid_t> uid;  // nullopt: this process's user; else needs root
    std::vector<gid_t> groups; // with uid: the caller's only supplementary groups
};

// The HTTP status code of `method target` on the Unix socket, sent by curl as `caller`; 0 when
// no answer came.
int unixSocketStatus(const std::filesystem::path& socket,
                     const std::string& method,
                     const std::string& target,
                     const SocketCaller& caller = {});

} // namespace azcm::test
