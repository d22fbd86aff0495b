#include "common/platform/local_socket.hpp"
#include "common/platform/system_error_text.hpp"

#include <cerrno>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace azcm::platform {

namespace {

Error systemFailure(const std::string& what, int error_number) {
    return makeError(exitcode::kGeneric, what + ": " + systemErrorText(error_number));
}

// SO_PEERGROUPS (Linux 4.13+); empty when the kernel lacks it.
std::vector<GroupId> peerGroups(int socket) {
    std::vector<gid_t> groups(16);
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto length = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (::getsockopt(socket, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &length) == 0) {
            groups.resize(length / sizeof(gid_t));
            return {groups.begin(), groups.end()};
        }
        if (errno != ERANGE) {
            break;
        }
        groups.resize(length / sizeof(gid_t)); // the kernel said how much it needs
    }
    return {};
}

} // namespace

std::size_t localSocketPathLimit() {
    return sizeof(sockaddr_un::sun_path) - 1;
}

Result<void> setLocalSocketMode(const std::filesystem::path& path, FileMode mode) {
    if (::chmod(path.c_str(), mode) != 0) {
        return systemFailure("chmod " + path.string(), errno);
    }
    return ok();
}

Result<LocalPeer> localPeerOf(int socket) {
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
        return systemFailure("SO_PEERCRED", errno);
    }
    LocalPeer peer;
    peer.uid = credentials.uid;
    peer.gid = credentials.gid;
    peer.pid = credentials.pid;
    peer.groups = peerGroups(socket);
    return peer;
}

} // namespace azcm::platform
