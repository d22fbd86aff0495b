#pragma once
// Local (Unix-domain) stream sockets, the daemons' control channel: the path limit, the socket
// file's mode, and who is at the other end, as the kernel reports it (never as the peer says).
#include "common/error.hpp"
#include "common/platform/local_peer.hpp"
#include "common/platform/os_types.hpp"

#include <cstddef>
#include <filesystem>
#include <vector>

namespace azcm::platform {

// The longest socket path the system can bind or connect to, in bytes (the name is stored with
// its terminating NUL in a fixed field: 107 on Linux and on Windows).
std::size_t localSocketPathLimit();

// Sets the mode of a socket just bound at `path` (before listen(), so nobody connects while it
// still has the umask's mode). `path` lies in a directory only this account can change.
Result<void> setLocalSocketMode(const std::filesystem::path& path, FileMode mode);

// The account and process at the other end of a connected local socket, from the kernel.
// `socket` is the native handle of the connected socket (a descriptor on POSIX).
Result<LocalPeer> localPeerOf(int socket);

} // namespace azcm::platform
