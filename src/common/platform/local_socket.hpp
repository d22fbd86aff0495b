#pragma once
// Local (Unix-domain) stream sockets, the daemons' control channel.
#include <cstddef>

namespace azcm::platform {

// The longest socket path the system can bind or connect to, in bytes (the name is stored with
// its terminating NUL in a fixed field: 107 on Linux and on Windows).
std::size_t localSocketPathLimit();

} // namespace azcm::platform
